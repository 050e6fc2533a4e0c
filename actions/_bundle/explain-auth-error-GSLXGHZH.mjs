import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-YUQUUZYQ.mjs";import"./chunk-K57YK42K.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
