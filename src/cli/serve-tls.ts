// The TLS group of `regprobe serve`: --tls-cert/--tls-key (your certificate), or --tls-self-signed DIR
// (a private CA and a server certificate for this machine, made once and reused), and the lines that
// tell a user how to make docker, podman, skopeo and the system trust that CA.
import { resolve } from 'node:path';
import type { InferredOptionTypes } from 'yargs';
import { DEFAULT_TLS_HOSTS, loadTlsFiles, selfSignedTls, TlsConfigError, type SelfSignedTls, type TlsCredentials } from '../../reference-server/tls.js';
import { CliError } from './exit.js';

export const tlsOptions = {
  'tls-cert': { type: 'string', requiresArg: true, describe: 'serve HTTPS with this PEM certificate (then any intermediates); needs --tls-key' },
  'tls-key': { type: 'string', requiresArg: true, describe: 'the PEM private key of --tls-cert (unencrypted)' },
  'tls-self-signed': {
    type: 'string',
    requiresArg: true,
    describe: 'serve HTTPS with a private CA (DIR/ca.crt) and a certificate for localhost, 127.0.0.1, ::1 (and --host), made in DIR on first use and reused; prints how to trust it',
  },
} as const;

/** Partial: callers that build arguments by hand (tests) may leave the whole group out (= plain HTTP). */
export type TlsArgs = Partial<InferredOptionTypes<typeof tlsOptions>>;

export interface TlsSetup {
  tls: TlsCredentials;
  /** Set for --tls-self-signed: where the CA is, for the trust instructions. */
  selfSigned?: SelfSignedTls;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** The TLS material for these arguments, or undefined for plain HTTP. One-line CliError for bad input. */
export async function tlsFrom(args: TlsArgs, host: string): Promise<TlsSetup | undefined> {
  const cert = args['tls-cert'];
  const key = args['tls-key'];
  const dir = args['tls-self-signed'];
  if (dir !== undefined && (cert !== undefined || key !== undefined)) throw new CliError(`--tls-self-signed cannot be combined with --${cert !== undefined ? 'tls-cert' : 'tls-key'}: choose your own certificate or a generated one`);
  if ((cert === undefined) !== (key === undefined)) throw new CliError(cert === undefined ? '--tls-key needs --tls-cert (the certificate of that key)' : '--tls-cert needs --tls-key (the private key of that certificate)');
  try {
    if (cert !== undefined && key !== undefined) return { tls: await loadTlsFiles(cert, key) };
    if (dir === undefined) return undefined;
    if (dir.trim() === '') throw new CliError('--tls-self-signed: empty directory name');
    // A specific --host is a name clients will use too; a wildcard address is not.
    const hosts = WILDCARDS.has(host) ? DEFAULT_TLS_HOSTS : [...DEFAULT_TLS_HOSTS, host.replace(/^\[|\]$/g, '')];
    const selfSigned = await selfSignedTls(resolve(dir), { hosts });
    return { tls: selfSigned, selfSigned };
  } catch (err) {
    if (err instanceof TlsConfigError) throw new CliError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (dir !== undefined && e.code !== undefined) throw new CliError(`--tls-self-signed ${dir}: cannot write the CA and certificate there (${e.code})`);
    throw err;
  }
}

/**
 * How to trust the generated CA, one instruction a line, for the address clients use (a wildcard
 * listen address is reached as localhost). `port` is the port the server really listens on.
 */
export function trustInstructions(s: SelfSignedTls, host: string, port: number): string[] {
  const h = WILDCARDS.has(host) ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const hp = `${h}:${port}`;
  return [
    `TLS: certificate for ${s.hosts.join(', ')} signed by the CA ${s.caFile} (${s.state === 'created' ? 'new CA' : s.state === 'renewed' ? 'CA reused, new server certificate' : 'CA and certificate reused'}); trust that CA:`,
    `  docker:         mkdir -p /etc/docker/certs.d/${hp} && cp ${s.caFile} /etc/docker/certs.d/${hp}/ca.crt`,
    `  podman, buildah, skopeo: --cert-dir ${s.dir} (skopeo copy: --src-cert-dir/--dest-cert-dir), or copy ca.crt to /etc/containers/certs.d/${hp}/`,
    `  system store:   cp ${s.caFile} /usr/local/share/ca-certificates/regprobe-${h.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}.crt && update-ca-certificates`,
    `  regprobe:       --ca-file ${s.caFile}`,
  ];
}

/** The generated-CA details when the server's TLS material came from --tls-self-signed. */
export function selfSignedOf(tls: TlsCredentials | undefined): SelfSignedTls | undefined {
  return tls && 'caFile' in tls ? (tls as SelfSignedTls) : undefined;
}
