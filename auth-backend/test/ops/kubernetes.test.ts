/**
 * docker/kubernetes/ as `kubectl kustomize` renders it, checked against what docs/operations.md
 * promises ("Running many replicas"). No cluster runs these manifests here: this is all the checking
 * they get, and the docs say so.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const dir = path.resolve(__dirname, '../../../docker/kubernetes');
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const describeWithKubectl = kubectl.status === 0 ? describe : describe.skip;

describeWithKubectl('docker/kubernetes (kubectl kustomize)', () => {
  let docs: Doc[];
  const one = (kind: string) => {
    const found = docs.filter((doc) => doc.kind === kind);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(() => {
    const rendered = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    if (rendered.status !== 0) throw new Error(`kubectl kustomize failed:\n${rendered.stderr}`);
    docs = parseAllDocuments(rendered.stdout).map((doc) => doc.toJS() as Doc);
  });

  it('renders a ConfigMap, a Deployment, a Service and a PodDisruptionBudget', () => {
    expect(docs.map((doc) => doc.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
  });

  it('rolls one pod at a time, the new one ready before an old one goes', () => {
    const deployment = one('Deployment');
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it('probes readiness on /ready and liveness on /health', () => {
    const [container] = one('Deployment').spec.template.spec.containers;
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
  });

  it('gives the drain its time: the grace period exceeds SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT', () => {
    const config = one('ConfigMap').data;
    const spec = one('Deployment').spec.template.spec;
    expect(Number(config.SHUTDOWN_DELAY)).toBeGreaterThan(0);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(config.SHUTDOWN_DELAY) + Number(config.SHUTDOWN_TIMEOUT));
  });

  it('migrates in an init container of the same image, through the entrypoint and its advisory lock, strictly checked', () => {
    const spec = one('Deployment').spec.template.spec;
    const [init] = spec.initContainers;
    expect(init.image).toBe(spec.containers[0].image);
    expect(init.command).toEqual(['node', 'dist/entrypoint.js', '--migrate-only']);
    expect(one('ConfigMap').data.MIGRATION_SAFETY).toBe('strict');
  });

  it('mounts the secrets as files, read through <NAME>_FILE, in both containers', () => {
    const spec = one('Deployment').spec.template.spec;
    const volume = spec.volumes.find((entry: Doc) => entry.secret);
    expect(volume.secret.secretName).toBe('auth-secrets');
    for (const container of [...spec.initContainers, ...spec.containers]) {
      const mount = container.volumeMounts.find((entry: Doc) => entry.name === volume.name);
      expect(mount.readOnly).toBe(true);
      const files = Object.fromEntries(container.env.map((entry: Doc) => [entry.name, entry.value]));
      for (const [name, key] of [
        ['JWT_SECRET_FILE', 'jwt_secret'],
        ['PASSWORD_PEPPER_FILE', 'password_pepper'],
        ['KEY_ENCRYPTION_KEY_FILE', 'key_encryption_key'],
        ['DATABASE_PASSWORD_FILE', 'db_password'],
        ['SMTP_URL_FILE', 'smtp_url'],
      ])
        expect(files[name!]).toBe(`${mount.mountPath}/${key}`);
    }
    // No secret in plain configuration.
    expect(new URL(one('ConfigMap').data.DATABASE_URL).password).toBe('');
  });

  it('selects the pods from the Service and the PodDisruptionBudget, which allows one pod down at a time', () => {
    const labels = one('Deployment').spec.template.metadata.labels;
    expect(labels).toMatchObject(one('Service').spec.selector);
    const pdb = one('PodDisruptionBudget');
    expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pdb.spec.maxUnavailable).toBe(1);
  });
});
