// Auth failures a user can act on: one line, never a secret in it.

export type AuthErrorKind = 'credentials-rejected' | 'token-endpoint' | 'bad-challenge' | 'credential-source';

export class AuthError extends Error {
  constructor(
    readonly kind: AuthErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}
