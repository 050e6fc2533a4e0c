import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{federatedTokenSourceFromHandOff,isFederatedTokenHandOff}from"./chunk-DJ6YYX5P.mjs";import"./chunk-RS4JB3TM.mjs";export{federatedTokenSourceFromHandOff,isFederatedTokenHandOff};
