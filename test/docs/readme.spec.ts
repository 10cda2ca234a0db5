import { readFileSync } from 'node:fs';
import { README, readmeWithTable } from '../../scripts/env-docs';

it('the README configuration table matches the env specs the apps validate (npm run docs:env)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(readmeWithTable(readme)).toBe(readme);
});
