// Interop: tables we write are read by delta-rs (Python deltalake) and the other way round.
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: require('path').join(__dirname, '..'),
  roots: ['<rootDir>/test/interop/'],
  testRegex: '.*\\.interop-spec\\.ts$',
  testTimeout: 120000,
};
