// Basic credentials as an AuthProvider: sent once the registry has asked for Basic, then up front.
import type { AuthProvider } from '../client/auth-provider.js';

export interface Credentials {
  username: string;
  password: string;
}

export class BasicAuth implements AuthProvider {
  private header: string;
  private challenged = false;
  constructor(creds: Credentials) {
    this.header = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  }
  async authorization(_scopes: string[], url: URL): Promise<string | undefined> {
    // Never send credentials in clear text to a non-loopback http: origin unless challenged for them.
    return this.challenged || url.protocol === 'https:' ? this.header : undefined;
  }
  async handleChallenge(challenge: string): Promise<boolean> {
    if (!/^\s*basic\b/i.test(challenge) && !/,\s*basic\b/i.test(challenge)) return false;
    if (this.challenged) return false;
    this.challenged = true;
    return true;
  }
}
