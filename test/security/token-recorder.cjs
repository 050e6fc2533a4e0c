// Preloaded into a host process (NODE_OPTIONS=--require) by the secret-hygiene harness: records every
// OAuth token the process reads, so that the harness knows the values minted during a run (the Entra
// access token, ACR refresh and access tokens) and can look for them everywhere they must not be.
//
// Every client on the way (MSAL's network client, @azure/core-client's deserializer, Slipway's own ACR
// exchange) reads a token response with JSON.parse, so that is the one place to listen. The process
// itself is left alone: the parsed value is returned unchanged.
'use strict';
const { appendFileSync } = require('node:fs');

const log = process.env.HYGIENE_TOKEN_LOG;
const parse = JSON.parse;
const tokenKeys = ['access_token', 'refresh_token', 'id_token'];

JSON.parse = function recordingParse(text, reviver) {
  const value = parse.call(this, text, reviver);
  if (log && value !== null && typeof value === 'object') {
    for (const key of tokenKeys) {
      if (typeof value[key] === 'string') {
        try {
          appendFileSync(log, `${JSON.stringify({ key, value: value[key] })}\n`);
        } catch {
          // A recorder that cannot write must not change what the host does; the harness then finds no token and fails.
        }
      }
    }
  }
  return value;
};
