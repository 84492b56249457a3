// Jest only (jest.config.js maps the SDK's typescript-shim here). The SDK loads TypeScript at
// start-up for closure serialization, which mocked programs never use; the component provider's
// schema inference does use it, so it is loaded on first use instead (by path, past the mapping).
const path = require("path");
let real;
const load = () => (real ??= require(path.join(__dirname, "..", "..", "node_modules", "typescript")));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });
