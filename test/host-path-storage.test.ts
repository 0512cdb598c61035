import { Chart, Testing } from 'cdk8s';
import { HostPathStorage, HostPathType, StorageAccessMode, StorageReclaimPolicy } from '../lib';
import { find, KubeObject, loadManifests } from './support/manifests';

function storage(props: Partial<ConstructorParameters<typeof HostPathStorage>[2]> = {}): KubeObject[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'dev' });
  new HostPathStorage(chart, 'data', { path: '/srv/data', ...props });
  return Testing.synth(chart) as KubeObject[];
}

describe('HostPathStorage', () => {
  test('pre-binds the volume and the claim both ways', () => {
    const objects = storage();
    const pv = find(objects, 'PersistentVolume', 'data');
    const pvc = find(objects, 'PersistentVolumeClaim', 'data');
    expect(pv.spec.claimRef).toEqual({ name: 'data', namespace: 'dev' });
    expect(pvc.spec.volumeName).toBe('data');
    expect(pvc.metadata.namespace).toBe('dev');
    expect(pv.metadata.namespace).toBeUndefined(); // cluster-scoped
    expect(pv.spec.storageClassName).toBe(pvc.spec.storageClassName);
    expect(pv.spec.accessModes).toEqual(pvc.spec.accessModes);
    expect(pv.spec.capacity.storage).toBe(pvc.spec.resources.requests.storage);
  });

  test('defaults: 1Gi, ReadWriteOnce, Retain, DirectoryOrCreate, class "manual", no node affinity', () => {
    const pv = find(storage(), 'PersistentVolume', 'data');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' }, storageClassName: 'manual',
    });
    expect(pv.spec.nodeAffinity).toBeUndefined();
  });

  test('sizes below a GiB are rendered exactly, props are honoured', () => {
    const objects = storage({
      name: 'cache', storage: '512Mi', accessModes: [StorageAccessMode.READ_ONLY_MANY],
      reclaimPolicy: StorageReclaimPolicy.DELETE, type: HostPathType.DIRECTORY, storageClassName: 'local',
    });
    const pv = find(objects, 'PersistentVolume', 'cache');
    expect(pv.spec).toMatchObject({
      capacity: { storage: '512Mi' }, accessModes: ['ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Delete',
      hostPath: { type: 'Directory' }, storageClassName: 'local', claimRef: { name: 'cache' },
    });
    expect(find(objects, 'PersistentVolumeClaim', 'cache').spec.resources.requests.storage).toBe('512Mi');
  });

  test('node pinning adds required node affinity on the hostname', () => {
    const pv = find(storage({ nodeName: 'kube' }), 'PersistentVolume', 'data');
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kube'] }] },
    ]);
  });
});

describe('dist/ volumes', () => {
  const objects = loadManifests();
  test.each(['mysql-data', 'python-mysql-code'])('%s: PV and PVC reserve each other', (name) => {
    const pv = find(objects, 'PersistentVolume', name);
    const pvc = find(objects, 'PersistentVolumeClaim', name);
    expect(pv.spec.claimRef).toEqual({ name, namespace: pvc.metadata.namespace });
    expect(pvc.spec.volumeName).toBe(name);
  });

  test('every claim a pod uses is one of the pre-bound claims', () => {
    const claims = objects.filter((o) => o.kind === 'Deployment')
      .flatMap((d) => d.spec.template.spec.volumes.filter((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim))
      .map((v: { persistentVolumeClaim: { claimName: string } }) => v.persistentVolumeClaim.claimName).sort();
    expect(claims).toEqual(['mysql-data', 'python-mysql-code']);
  });
});
