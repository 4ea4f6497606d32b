/**
 * jsdom plus Node's fetch. The console test against a real exporter renders React (so it needs
 * jsdom) and the datasource reads the run output SSE stream with a streaming fetch (which jsdom
 * lacks and Node 20 has, but jest's jsdom environment hides). This environment hands Node's fetch and the classes
 * its responses use to the test's global scope; nothing else changes.
 * Use with the docblock `@jest-environment <rootDir>/tests/panel/helpers/jsdom-with-fetch.js`.
 */
'use strict';
const { TestEnvironment } = require('jest-environment-jsdom');

class JsdomWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { fetch, Request, Response, Headers, ReadableStream });
  }
}

module.exports = JsdomWithFetch;
