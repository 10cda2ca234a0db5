/**
 * k8s/monitoring: the PrometheusRule and the Grafana dashboard, checked offline. Every PromQL
 * expression is parsed with Prometheus' own grammar (@prometheus-io/lezer-promql), and every
 * metric it selects, with the labels it matches on, must be one the apps really export: the
 * names are read from each app's Prometheus registry, built by its real Nest module (no app is
 * started), so a renamed metric fails here rather than leaving an alert silent.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { parser } from '@prometheus-io/lezer-promql';
import { MetricsRegistry } from '@app/common';
import { APPS, K8sObject, K8S_SCHEMA_VERSIONS, kustomizeBin, kustomizeBuild, KubernetesValidator, REPO_ROOT } from './deploy-helpers';

const MONITORING = 'k8s/monitoring';

/** Each exported metric's type and label names, over the four apps. */
const exported = new Map<string, { type: string; labels: string[] }>();
let rendered: K8sObject[];

beforeAll(async () => {
  rendered = kustomizeBuild(kustomizeBin(), MONITORING);
  for (const app of APPS) {
    const ref = await Test.createTestingModule({ imports: [app.module(app.load({}))] }).compile();
    for (const metric of await ref.get(MetricsRegistry).getMetricsAsJSON()) {
      const labels = (ref.get(MetricsRegistry).getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
      exported.set(metric.name, { type: String(metric.type), labels: [...labels] });
    }
    await ref.close();
  }
}, 600000);

/** Labels every scraped series gets from Prometheus' target, not from the app. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'service'];
const SERIES_SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

/** The exported metric a series name belongs to (a histogram's `_bucket` is its histogram's), with the labels it has. */
function seriesOf(name: string): { metric: string; labels: string[] } | undefined {
  const direct = exported.get(name);
  if (direct && !SERIES_SUFFIXES[direct.type]) return { metric: name, labels: direct.labels };
  for (const [metric, { type, labels }] of exported) {
    for (const suffix of SERIES_SUFFIXES[type] ?? []) {
      if (name === metric + suffix) return { metric, labels: suffix === '_bucket' ? [...labels, 'le'] : labels };
    }
  }
  return undefined;
}

/** Problems with one PromQL expression: syntax errors, unknown metrics, matchers on labels the metric does not have. */
function promqlProblems(expr: string): string[] {
  const problems: string[] = [];
  const tree = parser.parse(expr);
  const cursor = tree.cursor();
  let selectors = 0;
  do {
    if (cursor.type.isError) problems.push(`syntax error at ${cursor.from}: ${JSON.stringify(expr.slice(Math.max(0, cursor.from - 20), cursor.from + 20))}`);
    if (cursor.name !== 'VectorSelector') continue;
    selectors++;
    const selector = cursor.node;
    const name = selector.getChild('Identifier');
    if (!name) {
      problems.push(`a selector without a metric name: ${expr.slice(selector.from, selector.to)}`);
      continue;
    }
    const metric = expr.slice(name.from, name.to);
    const series = seriesOf(metric);
    if (!series) {
      problems.push(`${metric} is exported by no app`);
      continue;
    }
    const matchers = selector.getChild('LabelMatchers');
    for (const matcher of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
      const label = matcher.getChild('LabelName')!;
      const labelName = expr.slice(label.from, label.to);
      if (!series.labels.includes(labelName) && !TARGET_LABELS.includes(labelName)) problems.push(`${metric} has no label ${labelName}`);
    }
  } while (cursor.next());
  if (selectors === 0) problems.push('selects no metric');
  return problems;
}

describe(MONITORING, () => {
  it('renders a PrometheusRule and the dashboard ConfigMap, the ConfigMap valid against the strict Kubernetes schemas', () => {
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/lakehouse-grafana-dashboard', 'PrometheusRule/lakehouse-alerts']);
    const configMap = rendered.find((o) => o.kind === 'ConfigMap')!;
    for (const version of K8S_SCHEMA_VERSIONS) expect(new KubernetesValidator(version).validate(configMap)).toEqual([]);
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(configMap.data['grafana-dashboard.json'])).toEqual(JSON.parse(readFileSync(path.join(REPO_ROOT, MONITORING, 'grafana-dashboard.json'), 'utf8')));
  });

  it('the test itself sees the metrics the apps export, and rejects what it should', () => {
    expect(exported.has('bronze_kafka_lag')).toBe(true);
    expect(promqlProblems('rate(bronze_rows_total[5m])')).toEqual([]);
    expect(promqlProblems('sum(rate(bronze_rows_total[5m]) by')).toEqual([expect.stringContaining('syntax error')]);
    expect(promqlProblems('bronze_nonexistent_metric')).toEqual(['bronze_nonexistent_metric is exported by no app']);
    expect(promqlProblems('silver_runs_total{outcome="failed"}')).toEqual(['silver_runs_total has no label outcome']);
    expect(promqlProblems('bronze_batch_duration_seconds_bucket{le="1"}')).toEqual([]);
  });

  describe('PrometheusRule lakehouse-alerts', () => {
    const rule = () => rendered.find((o) => o.kind === 'PrometheusRule')!;
    const alerts = () => (rule().spec.groups as Array<{ name: string; rules: K8sObject[] }>).flatMap((g) => g.rules);

    it('is a monitoring.coreos.com/v1 PrometheusRule in the lakehouse namespace, with named groups of alerts', () => {
      expect(rule().apiVersion).toBe('monitoring.coreos.com/v1');
      expect(rule().metadata.namespace).toBe('lakehouse');
      const groups = rule().spec.groups as Array<{ name: string; rules: unknown[] }>;
      expect(new Set(groups.map((g) => g.name)).size).toBe(groups.length);
      for (const g of groups) expect(g.rules.length).toBeGreaterThan(0);
    });

    it('alerts on what an operator must know: lag growing, quarantine above normal, watermark ahead of the clock, stale silver, a failed silver run', () => {
      expect(alerts().map((a) => a.alert)).toEqual([
        'BronzeConsumerLagGrowing',
        'BronzeQuarantineRateAboveNormal',
        'BronzeWatermarkAheadOfWallClock',
        'SilverStale',
        'SilverRunFailed',
      ]);
    });

    it('has only alerts with a severity, a summary, a description and a valid `for`', () => {
      for (const a of alerts()) {
        expect(Object.keys(a).sort()).toEqual(expect.arrayContaining(['alert', 'annotations', 'expr', 'labels']));
        expect(Object.keys(a).filter((k) => !['alert', 'expr', 'for', 'labels', 'annotations'].includes(k))).toEqual([]);
        expect(['warning', 'critical']).toContain(a.labels.severity);
        expect(a.annotations.summary).toEqual(expect.any(String));
        expect(a.annotations.description).toEqual(expect.any(String));
        if (a.for !== undefined) expect(a.for).toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
      }
    });

    it.each(['BronzeConsumerLagGrowing', 'BronzeQuarantineRateAboveNormal', 'BronzeWatermarkAheadOfWallClock', 'SilverStale', 'SilverRunFailed'])(
      '%s: its expression parses and selects only exported metrics and labels',
      (name) => {
        const alert = alerts().find((a) => a.alert === name)!;
        expect(promqlProblems(alert.expr)).toEqual([]);
      },
    );
  });

  describe('Grafana dashboard', () => {
    const dashboard = () => JSON.parse(readFileSync(path.join(REPO_ROOT, MONITORING, 'grafana-dashboard.json'), 'utf8'));
    type Panel = { id: number; title: string; datasource: { uid: string }; targets: Array<{ expr: string; refId: string; datasource: { uid: string } }> };

    it('has the panels the seed lists, plus quarantine by reason and the watermark', () => {
      const titles = (dashboard().panels as Panel[]).map((p) => p.title);
      expect(titles).toEqual(expect.arrayContaining(['Kafka lag', 'Delta write latency', 'Query execution times', 'System resources', 'Quarantine by reason', 'Watermark']));
      expect(new Set((dashboard().panels as Panel[]).map((p) => p.id)).size).toBe(titles.length);
    });

    it('queries the Prometheus chosen in its datasource variable, with unique refIds per panel', () => {
      expect(dashboard().templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
      for (const p of dashboard().panels as Panel[]) {
        expect([p.title, p.datasource.uid]).toEqual([p.title, '${datasource}']);
        expect(p.targets.length).toBeGreaterThan(0);
        expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
        for (const t of p.targets) expect(t.datasource.uid).toBe('${datasource}');
      }
    });

    it('has only queries that parse and select exported metrics and labels', () => {
      const problems = (dashboard().panels as Panel[]).flatMap((p) => p.targets.flatMap((t) => promqlProblems(t.expr).map((e) => `${p.title} ${t.refId}: ${e}`)));
      expect(problems).toEqual([]);
    });
  });
});
