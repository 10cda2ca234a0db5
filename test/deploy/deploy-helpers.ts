/**
 * Shared by the deploy suites: the apps (env spec, Nest module, real HTTP routes), kustomize
 * rendering, and offline JSON-schema validation against the schemas vendored in ./schemas
 * (see scripts/deploy/vendor-schemas.js for where they come from).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamicModule, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { parseAllDocuments } from 'yaml';
import { EnvSpec, loadEnv } from '@app/common';
import { GATEWAY_ENV } from '../../apps/analytics-gateway/src/config';
import { AnalyticsGatewayModule } from '../../apps/analytics-gateway/src/gateway.module';
import { BronzeModule } from '../../apps/bronze-ingestor/src/bronze.module';
import { BRONZE_ENV } from '../../apps/bronze-ingestor/src/config';
import { PRODUCER_ENV } from '../../apps/producer/src/config';
import { ProducerModule } from '../../apps/producer/src/producer.module';
import { loadSilverConfig, SILVER_ENV } from '../../apps/silver-scheduler/src/config';
import { SilverModule } from '../../apps/silver-scheduler/src/silver.module';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SCHEMAS = path.join(__dirname, 'schemas');

export interface AppInfo {
  name: string;
  spec: EnvSpec;
  /** The app's own start-up validation: throws ConfigError on a bad or missing value. */
  load(env: Record<string, string>): object;
  /** The root module main.ts builds, for a validated config. */
  module(config: object): DynamicModule;
}

/** Routes are read from the modules' metadata: the auth settings do not change them. */
const AUTH_OFF = { disabled: true, openRoles: [] };

/* eslint-disable @typescript-eslint/no-explicit-any -- each forRoot takes its own config type; load() produced it. */
export const APPS: AppInfo[] = [
  { name: 'producer', spec: PRODUCER_ENV, load: (env) => loadEnv(PRODUCER_ENV, env), module: (c) => ProducerModule.forRoot(c as any) },
  { name: 'bronze-ingestor', spec: BRONZE_ENV, load: (env) => loadEnv(BRONZE_ENV, env), module: (c) => BronzeModule.forRoot(c as any, AUTH_OFF) },
  { name: 'silver-scheduler', spec: SILVER_ENV, load: (env) => loadSilverConfig(env), module: (c) => SilverModule.forRoot(c as any, AUTH_OFF) },
  { name: 'analytics-gateway', spec: GATEWAY_ENV, load: (env) => loadEnv(GATEWAY_ENV, env), module: (c) => AnalyticsGatewayModule.forRoot(c as any, AUTH_OFF) },
];
/* eslint-enable @typescript-eslint/no-explicit-any */

export const requiredVars = (spec: EnvSpec): string[] => Object.keys(spec).filter((k) => spec[k].default === undefined);

// ---------------------------------------------------------------------------------------------
// HTTP routes, from the controllers' Nest metadata (no app is started)

function controllersOf(mod: Type | DynamicModule, seen = new Set<unknown>()): Type[] {
  const dynamic = (mod as DynamicModule).module ? (mod as DynamicModule) : undefined;
  const cls = dynamic ? dynamic.module : (mod as Type);
  if (seen.has(mod)) return [];
  seen.add(mod);
  const controllers: Type[] = [...(Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, cls) ?? []), ...(dynamic?.controllers ?? [])];
  const imports: unknown[] = [...(Reflect.getMetadata(MODULE_METADATA.IMPORTS, cls) ?? []), ...(dynamic?.imports ?? [])];
  for (const imported of imports) {
    // Async and forwardRef imports would need resolving; the apps have none.
    if (typeof imported === 'function' || (imported && typeof imported === 'object' && 'module' in imported)) {
      controllers.push(...controllersOf(imported as Type | DynamicModule, seen));
    } else {
      throw new Error(`unsupported import in ${cls.name}: ${String(imported)}`);
    }
  }
  return controllers;
}

const joinPaths = (...parts: string[]): string => '/' + parts.flatMap((p) => p.split('/')).filter(Boolean).join('/');

/** "GET /health", "POST /silver/run"... as Nest maps them from the controllers' decorators. */
export function routesOf(app: AppInfo, config: object): string[] {
  // A global prefix or URI versioning would move every route: refuse rather than guess.
  const srcDir = path.join(REPO_ROOT, 'apps', app.name, 'src');
  for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    if (/\.(setGlobalPrefix|enableVersioning)\(/.test(readFileSync(path.join(srcDir, f), 'utf8'))) {
      throw new Error(`apps/${app.name}/src/${f} sets a global prefix or versioning: teach routesOf() about it`);
    }
  }
  const routes = new Set<string>();
  for (const controller of controllersOf(app.module(config))) {
    const bases = [Reflect.getMetadata(PATH_METADATA, controller) ?? '/'].flat() as string[];
    for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const handler = Object.getOwnPropertyDescriptor(proto, key)?.value;
        if (typeof handler !== 'function' || key === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue; // a message pattern, not an HTTP route
        const paths = [Reflect.getMetadata(PATH_METADATA, handler) ?? '/'].flat() as string[];
        for (const base of bases) for (const p of paths) routes.add(`${RequestMethod[method]} ${joinPaths(base, p)}`);
      }
    }
  }
  return [...routes].sort();
}

/** Whether a GET of `urlPath` reaches one of the routes (":param" segments match any value). */
export function servesGet(routes: string[], urlPath: string): boolean {
  const want = urlPath.split('?')[0].split('/').filter(Boolean);
  return routes.some((r) => {
    const [method, route] = r.split(' ');
    if (method !== 'GET' && method !== 'ALL') return false;
    const segs = route.split('/').filter(Boolean);
    return segs.length === want.length && segs.every((s, i) => s.startsWith(':') || s === want[i]);
  });
}

// ---------------------------------------------------------------------------------------------
// Environment variable documentation

/** The description must open the comment block written above each variable. */
export function documents(comment: string | undefined, description: string): boolean {
  const text = (comment ?? '')
    .split('\n')
    .map((l) => l.replace(/^\s*#?\s?/, '').trim())
    .join(' ')
    .trim();
  return text.startsWith(description.trim());
}

/** A kustomize env file: KEY=value lines, each with the comment lines just above it. */
export function readEnvFile(file: string): Array<{ key: string; value: string; comment: string }> {
  const out: Array<{ key: string; value: string; comment: string }> = [];
  let comment: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') comment = [];
    else if (line.trimStart().startsWith('#')) comment.push(line.trim().replace(/^#\s?/, ''));
    else {
      const i = line.indexOf('=');
      out.push({ key: line.slice(0, i).trim(), value: line.slice(i + 1), comment: comment.join('\n') });
      comment = [];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// kustomize

export function kustomizeBin(): string {
  return execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'deploy', 'tools.js'), 'kustomize'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are checked field by field
  [field: string]: any;
}

export function kustomizeBuild(bin: string, dir: string): K8sObject[] {
  const out = execFileSync(bin, ['build', path.join(REPO_ROOT, dir)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`${dir}: ${d.errors[0].message}`);
    return d.toJS() as K8sObject;
  });
}

// ---------------------------------------------------------------------------------------------
// JSON schemas

/** The OpenAPI formats the Kubernetes schemas use (ajv applies a format to values of its type only). */
const KUBERNETES_FORMATS: Record<string, { type: 'number' | 'string'; validate: (v: never) => boolean }> = {
  int32: { type: 'number', validate: (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 },
  int64: { type: 'number', validate: (v: number) => Number.isSafeInteger(v) },
  double: { type: 'number', validate: (v: number) => Number.isFinite(v) },
  byte: { type: 'string', validate: (v: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) },
  'date-time': { type: 'string', validate: (v: string) => !Number.isNaN(Date.parse(v)) },
};

function collectKeys(value: unknown, keys = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => collectKeys(v, keys));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      keys.add(k);
      collectKeys(v, keys);
    }
  }
  return keys;
}

const readJson = (file: string): object => JSON.parse(readFileSync(file, 'utf8'));

export const formatErrors = (errors: ErrorObject[] | null | undefined): string =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`).join('\n');

export function composeValidator(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true });
  return ajv.compile(readJson(path.join(SCHEMAS, 'compose-spec.json')));
}

/** kubernetes-validate's schema file for a kind: deployment-apps-v1.json, configmap-v1.json. */
export function k8sSchemaFile(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${kind.toLowerCase()}${group ? `-${group.split('.')[0]}` : ''}-${version}.json`;
}

export const K8S_SCHEMA_VERSIONS = readdirSync(path.join(SCHEMAS, 'kubernetes')).sort();

/** Validates objects against the strict Kubernetes schemas of one version (unknown fields are errors). */
export class KubernetesValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly dir: string;

  constructor(readonly version: string) {
    this.dir = path.join(SCHEMAS, 'kubernetes', version);
    this.ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true });
    for (const [name, format] of Object.entries(KUBERNETES_FORMATS)) this.ajv.addFormat(name, format as never);
    const definitions = readJson(path.join(this.dir, '_definitions.json'));
    // OpenAPI annotations (x-kubernetes-list-type...) carry no validation: declare them as known.
    const keys = collectKeys(definitions);
    for (const f of readdirSync(this.dir)) collectKeys(readJson(path.join(this.dir, f)), keys);
    for (const k of keys) if (k.startsWith('x-kubernetes-')) this.ajv.addKeyword({ keyword: k });
    this.ajv.addSchema(definitions);
  }

  validate(obj: K8sObject): string[] {
    const file = k8sSchemaFile(obj.apiVersion, obj.kind);
    let validate = this.compiled.get(file);
    if (!validate) {
      let schema: object;
      try {
        schema = readJson(path.join(this.dir, file));
      } catch {
        return [`no vendored schema for ${obj.apiVersion} ${obj.kind} (${file}): add the kind to K8S_KINDS in scripts/deploy/vendor-schemas.js and run it`];
      }
      validate = this.ajv.compile(schema);
      this.compiled.set(file, validate);
    }
    return validate(obj) ? [] : formatErrors(validate.errors).split('\n');
  }
}
