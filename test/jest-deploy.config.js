// Deployment files (Dockerfile, docker-compose.yml, k8s/ kustomizations), validated offline:
// schemas vendored in test/deploy/schemas, kustomize built once into .cache/ by scripts/deploy/tools.js.
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: require('path').join(__dirname, '..'),
  roots: ['<rootDir>/test/deploy/'],
  testRegex: '.*\\.deploy-spec\\.ts$',
  // The first run may build kustomize from source (about a minute).
  testTimeout: 300000,
};
