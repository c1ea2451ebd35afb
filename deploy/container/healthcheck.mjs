// The container image's HEALTHCHECK: GET /v2/ on the registry this container serves, with node (the
// image has no curl). Healthy: 200, or 401 when auth is on (the registry answers, it wants a login).
// REGPROBE_HEALTHCHECK_URL changes the URL (another --port, or https:// with --tls-*: the certificate
// is not verified, this only asks whether the process answers).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

const url = new URL(process.env.REGPROBE_HEALTHCHECK_URL || 'http://127.0.0.1:5000/v2/');
const get = url.protocol === 'https:' ? httpsGet : httpGet;
const req = get(url, { rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 || res.statusCode === 401 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
req.on('error', (err) => {
  process.stderr.write(`${url.href}: ${err.message}\n`);
  process.exit(1);
});
