import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-ZWTINSHU.mjs";import"./chunk-JE7CEGM7.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
