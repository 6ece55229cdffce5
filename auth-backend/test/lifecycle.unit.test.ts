import { Lifecycle, type Worker } from '../src/lifecycle';

const worker = (name: string, events: string[], stop: () => Promise<void> = async () => undefined): Worker => ({
  name,
  start: () => void events.push(`start ${name}`),
  stop: async () => {
    events.push(`stop ${name}`);
    await stop();
  },
});

describe('Lifecycle', () => {
  it('starts workers in order, once, and stops them in reverse order', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle();
    for (const name of ['threads', 'keys', 'mail']) lifecycle.add(worker(name, events));
    await lifecycle.start();
    await lifecycle.start();
    await lifecycle.stop();
    expect(events).toEqual(['start threads', 'start keys', 'start mail', 'stop mail', 'stop keys', 'stop threads']);
  });

  it('leaves a worker that does not stop within the time limit behind, says so, and stops the rest', async () => {
    const events: string[] = [];
    const warnings: Array<Record<string, unknown>> = [];
    const lifecycle = new Lifecycle({ warn: (fields) => void warnings.push(fields) });
    lifecycle.add(worker('threads', events));
    lifecycle.add(worker('stuck', events, () => new Promise(() => undefined)));
    await lifecycle.start();
    const started = Date.now();
    await lifecycle.stop(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(events).toEqual(['start threads', 'start stuck', 'stop stuck', 'stop threads']);
    expect(warnings).toEqual([{ worker: 'stuck', timeoutMs: 200 }]);
  });
});
