/**
 * k8s/: the base and each overlay rendered by kustomize, every object validated against the
 * strict Kubernetes JSON schemas (vendored, offline), then checked against the apps: env vars,
 * probe routes and ports, the shared Delta volume, replicas and rollout strategies.
 */
import * as path from 'node:path';
import { APPS, documents, K8sObject, K8S_SCHEMA_VERSIONS, kustomizeBin, kustomizeBuild, KubernetesValidator, readEnvFile, REPO_ROOT, routesOf, servesGet } from './deploy-helpers';

const TARGETS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod'];
const rendered = new Map<string, K8sObject[]>();

beforeAll(() => {
  const bin = kustomizeBin(); // builds kustomize into .cache/ on first use
  for (const t of TARGETS) rendered.set(t, kustomizeBuild(bin, t));
}, 600000);

const objects = (target: string): K8sObject[] => rendered.get(target)!;
const find = (target: string, kind: string, name: string): K8sObject | undefined => objects(target).find((o) => o.kind === kind && o.metadata.name === name);

/** The variables a container gets (env + envFrom), resolved against the rendered ConfigMaps and Secrets. */
function containerEnv(target: string, container: K8sObject): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const data = (kind: string, name: string): Record<string, string> | undefined => {
    const o = find(target, kind, name);
    if (!o) return undefined;
    if (kind === 'Secret') return { ...Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])), ...(o.stringData ?? {}) };
    return o.data ?? {};
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const values = data(kind, ref.name);
    if (!values) {
      if (!ref.optional) problems.push(`envFrom ${kind} ${ref.name} is not in the rendered manifests`);
      continue;
    }
    for (const [k, v] of Object.entries(values)) env[(from.prefix ?? '') + k] = v;
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) env[e.name] = e.value ?? '';
    else if (e.valueFrom.configMapKeyRef || e.valueFrom.secretKeyRef) {
      const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef;
      const kind = e.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const value = data(kind, ref.name)?.[ref.key];
      if (value === undefined) problems.push(`${e.name}: key ${ref.key} of ${kind} ${ref.name} is not in the rendered manifests`);
      else env[e.name] = value;
    } else problems.push(`${e.name}: valueFrom ${Object.keys(e.valueFrom).join()} cannot be checked`);
  }
  return { env, problems };
}

/** The Secret key a file path of a container comes from (through a mounted secret volume), if any. */
function secretFile(target: string, deployment: K8sObject, container: K8sObject, file: string): { secret: string; key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    if (!file.startsWith(`${mount.mountPath}/`)) continue;
    const volume = (deployment.spec.template.spec.volumes ?? []).find((v: K8sObject) => v.name === mount.name);
    if (!volume?.secret) continue;
    const name = file.slice(mount.mountPath.length + 1);
    const item = (volume.secret.items ?? []).find((i: { path: string }) => i.path === name);
    const key = item ? item.key : name;
    const secret = find(target, 'Secret', volume.secret.secretName);
    if (secret && key in { ...(secret.data ?? {}), ...(secret.stringData ?? {}) }) return { secret: volume.secret.secretName, key };
  }
  return undefined;
}

/** A probe's or Service's port (number or container port name) as a number. */
function resolvePort(container: K8sObject, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: { name?: string }) => p.name === port)?.containerPort;
}

describe.each(TARGETS)('%s', (target) => {
  it('renders objects that are all valid against the strict Kubernetes schemas', () => {
    expect(objects(target).length).toBeGreaterThan(10);
    for (const version of K8S_SCHEMA_VERSIONS) {
      const validator = new KubernetesValidator(version);
      const invalid = objects(target).flatMap((o) => validator.validate(o).map((e) => `${version} ${o.kind}/${o.metadata.name}: ${e}`));
      expect(invalid).toEqual([]);
    }
  });

  it('puts every namespaced object in the namespace it creates', () => {
    const namespaces = objects(target).filter((o) => o.kind === 'Namespace');
    expect(namespaces).toHaveLength(1);
    const ns = namespaces[0].metadata.name;
    for (const o of objects(target).filter((o) => o.kind !== 'Namespace')) expect([o.kind, o.metadata.name, o.metadata.namespace]).toEqual([o.kind, o.metadata.name, ns]);
  });

  if (target.endsWith('prod')) {
    it('keeps the Delta tables on S3: no claim, no volume of any pod refers to one', () => {
      expect(objects(target).filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
      for (const d of objects(target).filter((o) => o.kind === 'Deployment')) {
        expect([d.metadata.name, (d.spec.template.spec.volumes ?? []).filter((v: K8sObject) => v.persistentVolumeClaim)]).toEqual([d.metadata.name, []]);
      }
    });
  } else {
    it('has a ReadWriteMany-capable claim for the Delta tables (ReadWriteOnce only in dev, one node)', () => {
      const pvc = find(target, 'PersistentVolumeClaim', 'lakehouse-data');
      expect(pvc).toBeDefined();
      expect(pvc!.spec.accessModes).toEqual(target.endsWith('dev') ? ['ReadWriteOnce'] : ['ReadWriteMany']);
    });
  }

  it('has the Secret of the Kafka credentials (mounted as files where Kafka is secured: see the apps)', () => {
    expect(find(target, 'Secret', 'kafka-credentials')).toBeDefined();
  });

  for (const app of APPS) {
    describe(app.name, () => {
      const deployment = () => find(target, 'Deployment', app.name)!;
      const container = () => deployment().spec.template.spec.containers.find((c: K8sObject) => c.name === app.name) as K8sObject;
      const env = () => containerEnv(target, container()).env;

      it('is a Deployment with a container named after the app, from the app image at a pinned tag', () => {
        expect(deployment()).toBeDefined();
        expect(container()).toBeDefined();
        expect(container().image).toMatch(new RegExp(`(^|/)lakehouse/${app.name}:[\\w][\\w.-]*$`));
        expect(container().image).not.toMatch(/:latest$/);
      });

      it('gets exactly the variables the app validates, with values its start-up validation accepts', () => {
        const { env: vars, problems } = containerEnv(target, container());
        expect(problems).toEqual([]);
        expect(Object.keys(vars).sort()).toEqual(Object.keys(app.spec).sort());
        expect(() => app.load(vars)).not.toThrow();
      });

      it('serves on the container port it declares, which is PORT', () => {
        const ports = container().ports as Array<{ name?: string; containerPort: number }>;
        expect(ports.map((p) => p.containerPort)).toEqual([Number(env().PORT)]);
        const service = find(target, 'Service', app.name);
        expect(service).toBeDefined();
        for (const p of service!.spec.ports) expect(resolvePort(container(), p.targetPort ?? p.port)).toBe(Number(env().PORT));
        expect(service!.spec.selector).toEqual(deployment().spec.selector.matchLabels);
        const annotations = deployment().spec.template.metadata.annotations ?? {};
        expect(Number(annotations['prometheus.io/port'])).toBe(Number(env().PORT));
        expect(servesGet(routesOf(app, app.load(env())), annotations['prometheus.io/path'])).toBe(true);
      });

      it('probes routes the app really serves, on its PORT: readiness on /health (the silver-scheduler: /health/ready, liveness on /health)', () => {
        const routes = routesOf(app, app.load(env()));
        const c = container();
        expect(c.readinessProbe?.httpGet?.path).toBe(app.name === 'silver-scheduler' ? '/health/ready' : '/health');
        if (app.name === 'silver-scheduler') expect(c.livenessProbe?.httpGet?.path).toBe('/health');
        for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const probe = c[kind]?.httpGet;
          expect([kind, Boolean(probe)]).toEqual([kind, true]);
          expect([kind, probe.path, servesGet(routes, probe.path)]).toEqual([kind, probe.path, true]);
          expect([kind, resolvePort(c, probe.port)]).toEqual([kind, Number(env().PORT)]);
        }
      });

      it('runs as non-root with requests and limits', () => {
        const pod = deployment().spec.template.spec;
        const c = container();
        expect(c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot).toBe(true);
        expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).toBeGreaterThan(0);
        expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
        for (const r of ['requests', 'limits']) for (const k of ['cpu', 'memory']) expect([r, k, c.resources?.[r]?.[k] !== undefined]).toEqual([r, k, true]);
      });

      if (app.spec.API_KEYS_FILE) {
        it('checks API keys, read from the api-keys Secret', () => {
          expect(env().AUTH_DISABLED).toBe('false');
          expect(secretFile(target, deployment(), container(), env().API_KEYS_FILE)).toEqual({ secret: 'api-keys', key: 'api-keys' });
        });
      }

      if (app.spec.LAKEHOUSE_ROOT && target.endsWith('prod')) {
        it('has an s3:// LAKEHOUSE_ROOT and its S3 key as a file of a mounted Secret', () => {
          expect(env().LAKEHOUSE_ROOT).toMatch(/^s3:\/\/[a-z0-9.-]+\/./);
          expect(secretFile(target, deployment(), container(), env().AWS_SHARED_CREDENTIALS_FILE)).toEqual({ secret: 's3-credentials', key: 'credentials' });
        });
      }

      if (app.spec.KAFKA_SECURITY_PROTOCOL) {
        it(target.endsWith('prod') ? 'reaches Kafka over SASL_SSL, its password and CA files from the kafka-credentials Secret' : 'reaches the dev broker in PLAINTEXT', () => {
          if (!target.endsWith('prod')) {
            expect(env().KAFKA_SECURITY_PROTOCOL).toBe('PLAINTEXT');
            return;
          }
          expect(env().KAFKA_SECURITY_PROTOCOL).toBe('SASL_SSL');
          expect(env().KAFKA_SASL_USERNAME).not.toBe('');
          const user = app.name === 'producer' ? 'producer' : 'ingestor';
          expect(secretFile(target, deployment(), container(), env().KAFKA_SASL_PASSWORD_FILE)).toEqual({ secret: 'kafka-credentials', key: `${user}-password` });
          expect(secretFile(target, deployment(), container(), env().KAFKA_SSL_CA_FILE)).toEqual({ secret: 'kafka-credentials', key: 'ca.crt' });
        });
      }

      if (app.spec.LAKEHOUSE_ROOT && !target.endsWith('prod')) {
        it('mounts the lakehouse-data claim at LAKEHOUSE_ROOT (read-only for the gateway)', () => {
          const pod = deployment().spec.template.spec;
          const volume = pod.volumes.find((v: K8sObject) => v.persistentVolumeClaim?.claimName === 'lakehouse-data');
          expect(volume).toBeDefined();
          const mount = container().volumeMounts.find((m: { name: string }) => m.name === volume.name);
          expect(mount?.mountPath).toBe(env().LAKEHOUSE_ROOT);
          expect(Boolean(mount?.readOnly)).toBe(app.name === 'analytics-gateway');
        });
      }

      if (app.spec.KAFKA_BROKERS && !target.endsWith('prod')) {
        it('reaches the dev broker through its headless Service', () => {
          const sts = find(target, 'StatefulSet', 'kafka')!;
          const hosts = [sts.metadata.name, ...Array.from({ length: sts.spec.replicas }, (_, i) => `${sts.metadata.name}-${i}.${sts.spec.serviceName}`)];
          for (const broker of env().KAFKA_BROKERS.split(',')) {
            const [host, port] = broker.trim().split(':');
            expect(hosts).toContain(host);
            expect(Number(port)).toBe(9092);
          }
        });
      }
    });
  }

  it('runs exactly one silver-scheduler, never two at once (Recreate), and does not autoscale it', () => {
    const silver = find(target, 'Deployment', 'silver-scheduler')!;
    expect(silver.spec.replicas).toBe(1);
    expect(silver.spec.strategy?.type).toBe('Recreate');
    expect(objects(target).filter((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === 'silver-scheduler')).toEqual([]);
  });

  it('runs one producer (Recreate): PRODUCER_INSTANCE_ID is fixed, two at once could mint the same vente_id', () => {
    const producer = find(target, 'Deployment', 'producer')!;
    expect(producer.spec.replicas).toBe(1);
    expect(producer.spec.strategy?.type).toBe('Recreate');
  });

  it('gives bronze-ingestor no more replicas than partitions, and the same partition count as the producer', () => {
    const bronze = find(target, 'Deployment', 'bronze-ingestor')!;
    const envOf = (name: string) => containerEnv(target, find(target, 'Deployment', name)!.spec.template.spec.containers[0]).env;
    expect(bronze.spec.replicas).toBeLessThanOrEqual(Number(envOf('bronze-ingestor').KAFKA_TOPIC_PARTITIONS));
    expect(envOf('producer').KAFKA_TOPIC_PARTITIONS).toBe(envOf('bronze-ingestor').KAFKA_TOPIC_PARTITIONS);
    expect(envOf('producer').KAFKA_TOPIC).toBe(envOf('bronze-ingestor').KAFKA_TOPIC);
    if (target.endsWith('prod')) expect(bronze.spec.replicas).toBe(2);
  });

  it('autoscales the gateway with an autoscaling/v2 HPA, which owns its replica count', () => {
    const hpa = objects(target).find((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpa?.apiVersion).toBe('autoscaling/v2');
    expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'analytics-gateway' });
    expect(hpa!.spec.minReplicas).toBeLessThanOrEqual(hpa!.spec.maxReplicas);
    expect(find(target, 'Deployment', 'analytics-gateway')!.spec.replicas).toBeUndefined();
  });

  it(target.endsWith('prod') ? 'has no dev broker (Kafka comes from Strimzi)' : 'runs the dev broker as a single-node KRaft StatefulSet with its own volume', () => {
    const sts = find(target, 'StatefulSet', 'kafka');
    if (target.endsWith('prod')) {
      expect(sts).toBeUndefined();
      return;
    }
    expect(sts!.spec.replicas).toBe(1);
    const svc = find(target, 'Service', sts!.spec.serviceName);
    expect(svc?.spec.clusterIP).toBe('None');
    expect(sts!.spec.volumeClaimTemplates).toHaveLength(1);
    const c = sts!.spec.template.spec.containers[0];
    expect(c.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${sts!.metadata.name}-0.${sts!.spec.serviceName}:9092`);
    expect(c.volumeMounts[0].name).toBe(sts!.spec.volumeClaimTemplates[0].metadata.name);
    expect(env.KAFKA_LOG_DIRS.startsWith(c.volumeMounts[0].mountPath + '/')).toBe(true);
    expect(sts!.spec.template.spec.enableServiceLinks).toBe(false);
  });
});

describe('k8s/base/config/*.env', () => {
  it('documents each variable with the description from the app spec', () => {
    const descriptions = new Map<string, string>();
    for (const app of APPS) for (const [k, v] of Object.entries(app.spec)) descriptions.set(k, v.description);
    const problems: string[] = [];
    for (const file of ['lakehouse', 'kafka-security', 's3', ...APPS.map((a) => a.name)]) {
      for (const { key, comment } of readEnvFile(path.join(REPO_ROOT, 'k8s', 'base', 'config', `${file}.env`))) {
        const description = descriptions.get(key);
        if (!description) problems.push(`${file}.env: ${key} is read by no app`);
        else if (!documents(comment, description)) problems.push(`${file}.env: ${key}: expected a comment above it starting with "# ${description}"`);
      }
    }
    expect(problems).toEqual([]);
  });
});
