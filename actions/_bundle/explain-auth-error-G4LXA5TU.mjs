import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-KHSH4SZD.mjs";import"./chunk-YWCIF6Q5.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
