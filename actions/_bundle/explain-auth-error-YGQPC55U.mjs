import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{describeAssertion,explainAuthError}from"./chunk-NY4URJZX.mjs";import"./chunk-Y3FRMOOR.mjs";import"./chunk-RS4JB3TM.mjs";export{describeAssertion,explainAuthError};
