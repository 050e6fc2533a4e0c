import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);
import{createStepCredential}from"./chunk-FBVBVTX4.mjs";import"./chunk-GN3JKTZQ.mjs";import"./chunk-YUQUUZYQ.mjs";import"./chunk-K57YK42K.mjs";import"./chunk-K7LOTUW2.mjs";import"./chunk-FDX5UVA5.mjs";import"./chunk-RS4JB3TM.mjs";export{createStepCredential};
