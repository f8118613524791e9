// The part of node-oidc-provider 9's API the peer server uses (the package ships no types).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** A registered client, as `Client.find` returns it. */
  interface Client {
    clientId: string;
  }

  interface Grant {
    addResourceScope(resource: string, scope: string): void;
    /** Stores the grant; resolves to its id. */
    save(): Promise<string>;
  }

  interface RefreshToken {
    /** Stores the token; resolves to its value. */
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** A `node:http` request listener (the provider is a Koa application). */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    readonly Client: { find(id: string): Promise<Client | undefined> };
    readonly Grant: new (fields: { accountId: string; clientId: string }) => Grant;
    readonly RefreshToken: new (fields: {
      accountId: string;
      client: Client;
      grantId: string;
      gty: string;
      scope: string;
      resource: string;
      expiresWithSession: boolean;
    }) => RefreshToken;
  }
  export default Provider;
}
