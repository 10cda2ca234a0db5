/**
 * schemathesis (from PyPI, test/api/requirements.txt) over the gateway's OpenAPI document, with
 * every check, against a gateway on a real lakehouse: no failure. Its settings, and why the
 * analytics operations may answer 400 to schema-valid requests, are in test/api/schemathesis.toml.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { clientDay, tempLakehouse, writeSilver } from '../../libs/analytics/test/silver-fixtures';
import { KEYS, startTestGateway, TestGateway } from '../support/gateway';

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('analytics-gateway under schemathesis (e2e)', () => {
  const root = tempLakehouse('gateway-schemathesis-');
  let gateway: TestGateway;

  beforeAll(async () => {
    await writeSilver(root, [
      clientDay({ client_id: 1, client_nom: 'Jean Dupont', pays: 'France', segment: 'Particulier' }, '2024-12-09', [{ produit_id: 1, quantite: 1, montant: 100 }]),
      clientDay({ client_id: 2, client_nom: 'Marie Martin', pays: 'Belgique', segment: 'Entreprise' }, '2024-12-10', [{ produit_id: 2, quantite: 2, montant: 55.5 }]),
    ]);
    gateway = await startTestGateway({ LAKEHOUSE_ROOT: root, RATE_LIMIT_PER_KEY: '10000000', RATE_LIMIT_PER_IP: '10000000' });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds no failure with every check', async () => {
    const { code, output } = await run('python3', [
      '-c',
      'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())',
      '--no-color',
      '--config-file',
      path.join(__dirname, '../api/schemathesis.toml'),
      'run',
      `${gateway.url}/docs-json`,
      '--checks',
      'all',
      '--header',
      `Authorization: Bearer ${KEYS.analyst}`,
      '--max-examples',
      '50',
      '--seed',
      '16',
    ]);
    if (code !== 0) process.stdout.write(output);
    expect(output).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
    expect(code).toBe(0);
  }, 600_000);
});
