import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-RGFWIKWX.mjs";import"./chunk-6UHD45MX.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
