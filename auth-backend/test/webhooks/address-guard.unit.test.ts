import { forbiddenAddress } from '../../src/webhooks/address-guard';
import { retryDelayMs } from '../../src/webhooks/retry-schedule';
import { UrlGuard } from '../../src/webhooks/url-guard';

describe('forbiddenAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (and metadata)'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique-local (and metadata)'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['100.100.100.200', 'metadata'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenAddress(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('lets the public address %s through', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });
});

describe('UrlGuard', () => {
  const resolvingTo = (addresses: string[]) => new UrlGuard(false, async () => addresses);

  it('refuses a name that resolves to an internal address, even when another of its addresses is public', async () => {
    await expect(resolvingTo(['93.184.216.34', '10.0.0.5']).check('https://hooks.example.com/x')).rejects.toThrow(/10\.0\.0\.5, a private address/);
  });

  it('accepts https to a public address, refuses http and credentials', async () => {
    await expect(resolvingTo(['93.184.216.34']).check('https://hooks.example.com/x')).resolves.toBeInstanceOf(URL);
    await expect(resolvingTo(['93.184.216.34']).check('http://hooks.example.com/x')).rejects.toThrow(/must be https/);
    await expect(resolvingTo(['93.184.216.34']).check('https://user:pw@hooks.example.com/x')).rejects.toThrow(/credentials/);
  });

  it('lets everything through with WEBHOOK_ALLOW_INSECURE', async () => {
    await expect(new UrlGuard(true, async () => ['127.0.0.1']).check('http://localhost:1234/x')).resolves.toBeInstanceOf(URL);
  });
});

describe('retryDelayMs', () => {
  const schedule = [1000, 2000, 4000];

  it('waits each entry in turn, jittered by at most 20%, and gives up after the last', () => {
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 2, () => 0)).toBe(1600);
    expect(retryDelayMs(schedule, 3, () => 1)).toBe(4800);
    expect(retryDelayMs(schedule, 4)).toBeUndefined();
  });
});
