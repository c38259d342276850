import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { configSchema } from '../../src/config/config-schema.js';
import { cliAccepts } from './cli-accepts.js';

const root = path.resolve(import.meta.dirname, '../..');
const k8sDir = path.join(root, 'deploy/k8s');

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function loadManifests(): { file: string; doc: Doc }[] {
  return readdirSync(k8sDir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8')).map((document) => {
        expect(document.errors, `${file} parses`).toEqual([]);
        return { file, doc: document.toJS() as Doc };
      }),
    );
}

const manifests = loadManifests();
const byKind = (kind: string, name: string): Doc => {
  const found = manifests.find(({ doc }) => doc.kind === kind && doc.metadata?.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found!.doc;
};

describe('deploy/k8s', () => {
  it('every manifest has apiVersion, kind, name and the pgferry namespace', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
    for (const { file, doc } of manifests) {
      expect(doc.apiVersion, file).toEqual(expect.any(String));
      expect(doc.kind, file).toEqual(expect.any(String));
      expect(doc.metadata?.name, file).toEqual(expect.any(String));
      if (doc.kind !== 'Namespace') expect(doc.metadata.namespace, `${file} ${doc.kind}`).toBe('pgferry');
    }
  });

  it('kustomization lists every manifest file', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as Doc;
    const files = readdirSync(k8sDir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...(kustomization.resources as string[])].sort()).toEqual(files.sort());
  });

  const workloads = [
    { kind: 'Deployment', name: 'pgferry-api', args: ['serve', '--no-worker'] },
    { kind: 'Deployment', name: 'pgferry-worker', args: ['worker'] },
    { kind: 'Job', name: 'pgferry-migrate', args: ['db', 'upgrade'] },
  ];

  it.each(workloads)('$name runs `pgferry $args` as non-root with resources and secrets from the Secret', ({ kind, name, args }) => {
    const doc = byKind(kind, name);
    const pod = doc.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const [container] = pod.containers as Doc[];
    expect(container!.args).toEqual(args);
    expect(cliAccepts(args), `pgferry ${args.join(' ')} exists`).toBe(true);
    expect(container!.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container!.securityContext.readOnlyRootFilesystem).toBe(true);
    // A read-only root needs a writable /tmp (tsx transpile cache).
    expect((container!.volumeMounts as Doc[]).map((mount) => mount.mountPath)).toContain('/tmp');
    expect(container!.resources.requests.cpu).toBeDefined();
    expect(container!.resources.requests.memory).toBeDefined();
    expect(container!.resources.limits.memory).toBeDefined();
    const env = container!.env as Doc[];
    const fromSecret = (variable: string) => env.find((entry) => entry.name === variable)?.valueFrom?.secretKeyRef;
    expect(fromSecret('DATABASE_URL')).toMatchObject({ name: 'pgferry-secrets', key: 'DATABASE_URL' });
    if (kind === 'Deployment') expect(fromSecret('PGFERRY_ENCRYPTION_KEY')).toMatchObject({ name: 'pgferry-secrets', key: 'PGFERRY_ENCRYPTION_KEY' });
    expect(container!.envFrom).toContainEqual({ configMapRef: { name: 'pgferry-config' } });
    if (kind === 'Deployment') {
      for (const [label, value] of Object.entries(doc.spec.selector.matchLabels as Record<string, string>)) {
        expect(doc.spec.template.metadata.labels[label]).toBe(value);
      }
    } else {
      expect(pod.restartPolicy).toBe('Never');
    }
  });

  it('the api has liveness on /health and readiness on /ready on its container port', () => {
    const container = byKind('Deployment', 'pgferry-api').spec.template.spec.containers[0] as Doc;
    const portName = (container.ports as Doc[])[0]!.name as string;
    expect((container.ports as Doc[])[0]!.containerPort).toBe(7910);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: portName });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: portName });
  });

  it('the Service selects the api pods and targets their port', () => {
    const service = byKind('Service', 'pgferry');
    const api = byKind('Deployment', 'pgferry-api');
    for (const [label, value] of Object.entries(service.spec.selector as Record<string, string>)) {
      expect(api.spec.template.metadata.labels[label]).toBe(value);
    }
    const portNames = (api.spec.template.spec.containers[0].ports as Doc[]).map((port) => port.name);
    expect(portNames).toContain(service.spec.ports[0].targetPort);
  });

  it('HPAs target the Deployments; the Secret and ConfigMap carry known variables', () => {
    for (const name of ['pgferry-api', 'pgferry-worker']) {
      const hpa = byKind('HorizontalPodAutoscaler', name);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    }
    const secret = byKind('Secret', 'pgferry-secrets');
    expect(Object.keys(secret.stringData as object)).toEqual(expect.arrayContaining(['DATABASE_URL', 'PGFERRY_ENCRYPTION_KEY']));
    const config = byKind('ConfigMap', 'pgferry-config');
    expect(config.data.PGFERRY_SCHEMA_MODE).toBe('migrations');
    const known = Object.keys(configSchema.shape);
    for (const variable of [...Object.keys(config.data as object), ...Object.keys(secret.stringData as object)]) {
      expect(known, `${variable} is a pgferry variable`).toContain(variable);
    }
    // Every ConfigMap value passes the same validation pgferry runs at start.
    const parsed = configSchema.safeParse({ ...config.data, DATABASE_URL: 'postgres://u@h/db' });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});
