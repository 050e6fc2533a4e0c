/** The endpoints that differ between Azure clouds (sovereign clouds included). */
export interface AzureCloud {
  name: AzureCloudName;
  authorityHost: string;
  resourceManager: string;
  /** Audience of tokens for ACR's /oauth2/exchange. */
  containerRegistryAudience: string;
}

export type AzureCloudName = 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';

export const azureClouds: Readonly<Record<AzureCloudName, AzureCloud>> = {
  AzureCloud: {
    name: 'AzureCloud',
    authorityHost: 'https://login.microsoftonline.com',
    resourceManager: 'https://management.azure.com',
    containerRegistryAudience: 'https://containerregistry.azure.net',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    authorityHost: 'https://login.chinacloudapi.cn',
    resourceManager: 'https://management.chinacloudapi.cn',
    containerRegistryAudience: 'https://containerregistry.azure.cn',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    authorityHost: 'https://login.microsoftonline.us',
    resourceManager: 'https://management.usgovcloudapi.net',
    containerRegistryAudience: 'https://containerregistry.azure.us',
  },
};
