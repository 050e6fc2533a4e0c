import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-PH4U2IDC.mjs";import"./chunk-QEQRTDF6.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
