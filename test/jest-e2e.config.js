// e2e: the real Kafka broker (started by globalSetup) and real Delta tables on disk.
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: require('path').join(__dirname, '..'),
  roots: ['<rootDir>/test/e2e/'],
  testRegex: '.*\\.e2e-spec\\.ts$',
  testTimeout: 180000,
};
