// The seam between the client and the auth engine (src/auth/): the client asks for a header and
// reports challenges; the engine decides how to answer them (Basic, Bearer tokens, ...).

export interface AuthProvider {
  /** The Authorization header for a request needing these scopes, when one is known up front. */
  authorization(scopes: string[], url: URL): Promise<string | undefined>;
  /**
   * Called with the WWW-Authenticate value of a 401. Returns true when a retry may now succeed
   * (credentials chosen or a token obtained); the client retries once.
   */
  handleChallenge(challenge: string, scopes: string[], url: URL): Promise<boolean>;
}
