import type { TokenCredential } from '@azure/identity';

/** Entra ID scopes of the Azure services rtvoice reaches without keys. */
export const AZURE_SCOPES = {
  cognitiveServices: 'https://cognitiveservices.azure.com/.default',
  redis: 'https://redis.azure.com/.default',
} as const;

/** A token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * The one place rtvoice gets Entra ID tokens for Azure services without keys (Azure OpenAI, Azure Speech,
 * ACS, Azure Managed Redis): `DefaultAzureCredential` (managed identity, workload identity, `az login`), or
 * the managed identity AZURE_MANAGED_IDENTITY_CLIENT_ID chooses, loaded on first use so offline
 * deployments never load it. Tokens are cached per scope until shortly before they expire.
 */
export class AzureCredentials {
  private credentialPromise: Promise<TokenCredential> | undefined;
  private readonly tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();
  private readonly managedIdentityClientId: string | undefined;

  /** `credential`: a credential of one's own (tests: a local issuer standing in for Entra ID). */
  constructor(options: { managedIdentityClientId?: string | undefined; credential?: TokenCredential } = {}) {
    this.managedIdentityClientId = options.managedIdentityClientId;
    if (options.credential) this.credentialPromise = Promise.resolve(options.credential);
  }

  /** How these credentials authenticate, for `rtvoice doctor`. */
  describe(): string {
    return this.managedIdentityClientId
      ? `Entra ID: managed identity ${this.managedIdentityClientId}`
      : 'Entra ID: DefaultAzureCredential (managed identity, workload identity or az login)';
  }

  credential(): Promise<TokenCredential> {
    this.credentialPromise ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) =>
        new DefaultAzureCredential(
          this.managedIdentityClientId ? { managedIdentityClientId: this.managedIdentityClientId } : {},
        ),
    );
    return this.credentialPromise;
  }

  /** A token for `scope`, from the cache while it has more than five minutes left. */
  async token(scope: string): Promise<{ token: string; expiresAt: number }> {
    const cached = this.tokens.get(scope);
    if (cached) {
      const current = await cached.catch(() => undefined);
      if (current && current.expiresAt - Date.now() > RENEW_BEFORE_MS) return current;
    }
    const fresh = this.credential().then(async (credential) => {
      const issued = await credential.getToken(scope);
      if (!issued) throw new Error(`no Entra ID token for ${scope}`);
      return { token: issued.token, expiresAt: issued.expiresOnTimestamp };
    });
    this.tokens.set(scope, fresh);
    fresh.catch(() => this.tokens.delete(scope));
    return fresh;
  }

  /** These credentials as an Azure SDK `TokenCredential` (the SDK clients' own type). */
  asTokenCredential(): TokenCredential {
    return { getToken: async (scopes, options) => (await this.credential()).getToken(scopes, options) };
  }

  /** A function that returns a bearer token for `scope` (what the OpenAI SDK and Speech clients take). */
  tokenProvider(scope: string): () => Promise<string> {
    return async () => (await this.token(scope)).token;
  }
}
