// Jest only (jest.config.js maps @npmcli/arborist here). The SDK loads npm's arborist at start-up
// to find the packages a serialized closure needs; mocked programs serialize no closure.
module.exports = {};
