// Reads the PEM files named by the TLS options (VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT,
// VAULT_CLIENT_KEY) for the HTTP client. A file that cannot be read is a configuration error naming
// the file; its content is never shown (a client key is a secret). Read synchronously, as the other
// start-up reads are: nothing else runs before the first request, and node:fs/promises costs every
// TLS run time to load (docs/bench.md).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, describeFileError, errorCode } from '../errors.ts';
import { formatSize, readLimitedSync, type LimitedRead } from '../limited-read.ts';

export interface TlsMaterial {
  ca: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** The most one PEM file may hold: the whole Mozilla CA bundle is about 220 KiB. */
const MAX_PEM_FILE_BYTES = 1024 * 1024;

export function readTlsMaterial(files: {
  caCert: string | undefined;
  caPath: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
}): TlsMaterial {
  let ca: string | undefined;
  if (files.caCert !== undefined) ca = readPem(files.caCert, 'CA certificate (VAULT_CACERT)');
  else if (files.caPath !== undefined) ca = readCaDirectory(files.caPath);
  return {
    ca,
    clientCert: files.clientCert === undefined ? undefined : readPem(files.clientCert, 'client certificate (VAULT_CLIENT_CERT)'),
    clientKey: files.clientKey === undefined ? undefined : readPem(files.clientKey, 'client key (VAULT_CLIENT_KEY)'),
  };
}

function readPem(path: string, what: string): string {
  let read: LimitedRead;
  try {
    read = readLimitedSync(path, MAX_PEM_FILE_BYTES);
  } catch (error) {
    throw new ConfigError(`${what} ${describeFileError(errorCode(error))}`, { input: path, hint: 'check the path and its permissions' });
  }
  if (read.tooLarge) throw new ConfigError(`${what} is larger than ${formatSize(MAX_PEM_FILE_BYTES)}`, { input: path, hint: 'check that the path names a PEM file' });
  return read.bytes.toString('utf8');
}

/** A file of a CA directory as text; empty (skipped like a file without a certificate) when unreadable or over the limit. */
function readCaFile(path: string): string {
  let read: LimitedRead;
  try {
    read = readLimitedSync(path, MAX_PEM_FILE_BYTES);
  } catch {
    return '';
  }
  return read.tooLarge ? '' : read.bytes.toString('utf8');
}

/** Every certificate in the directory's files, like the Vault CLI's VAULT_CAPATH. */
function readCaDirectory(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    const code = errorCode(error);
    const problem = code === 'ENOTDIR' ? 'is not a directory' : describeFileError(code);
    throw new ConfigError(`CA directory (VAULT_CAPATH) ${problem}`, { input: dir, hint: 'VAULT_CAPATH names a directory of PEM files' });
  }
  const pems: string[] = [];
  for (const name of names) {
    const text = readCaFile(join(dir, name));
    if (text.includes(PEM_CERTIFICATE)) pems.push(text);
  }
  if (pems.length === 0) {
    throw new ConfigError('no PEM certificate found in the CA directory (VAULT_CAPATH)', { input: dir, hint: 'put the CA certificates there as PEM files' });
  }
  return pems.join('\n');
}
