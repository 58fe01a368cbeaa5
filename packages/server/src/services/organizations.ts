/** Organizations (issuers): creation, identity (DIDs), keys and API keys. */
import {randomUUID} from 'node:crypto';
import type {KeyObject} from 'node:crypto';
import {buildDidDocument, type ControllerDocument, didKeyDocument, didKeyFromPublicKey, didWebFor,
  encodeEd25519PublicKey, type Profile, type Signer} from '@laurel/core';
import {generateEd25519, nodeSigner, privateKeyFromSeed} from '../crypto/ed25519.js';
import {generateApiKey, hashApiKey} from '../crypto/tokens.js';
import type {Queryable} from '../db/database.js';
import {countActiveApiKeys, countOrganizations, findActiveSigningKey, findApiKey, findOrganizationBy, findOrganizationByApiKeyHash,
  findOrganizationForUpdate, insertApiKey, insertOrganization, insertSigningKey, listApiKeys, listSigningKeys, lockAndFindActiveKey,
  lockOrganization, type OrganizationSettings, retireActiveSigningKey, revokeApiKey, updateOrganizationSettings} from '../db/organizations-repo.js';
import type {ApiKeyRow, OrganizationRow, SigningKeyRow} from '../db/rows.js';
import {existingAssetIds} from '../db/templates-repo.js';
import {DomainError, notFound} from '../errors.js';
import {isAssetId} from './assets.js';
import type {Actor} from './actor.js';
import type {AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import {TtlCache} from './ttl-cache.js';

/** How long an API key or custom-domain lookup is cached in memory. */
export const AUTH_CACHE_MS = 5_000;

/** Input to create an organization (validated at the edge). */
export interface CreateOrganizationInput {
  name: string;
  slug?: string;
  didMethod?: 'web' | 'key';
  domain?: string;
  url?: string;
  email?: string;
  logo?: string;
  linkedinOrganizationId?: string;
  brandColor?: string;
  brandSecondaryColor?: string;
}

/** A change of settings (validated at the edge): a field given as null is cleared. */
export interface OrganizationSettingsPatch {
  name?: string;
  url?: string | null;
  email?: string | null;
  logo?: string | null;
  linkedinOrganizationId?: string | null;
  /** `#rrggbb`, the colour of emails' header and button. */
  brandColor?: string | null;
  /** `#rrggbb`, the second colour of certificates and badges. */
  brandSecondaryColor?: string | null;
}

/** An API key as the API shows it: never its secret or hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  /** The key's visible start, `lrl_<prefix>`. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Who an API key authenticates: its organization, and the key as the actor of changes. */
export interface Authenticated {
  org: OrganizationRow;
  actor: Actor;
}

/** The public view of an organization. */
export interface OrganizationView {
  id: string;
  slug: string;
  name: string;
  didMethod: 'web' | 'key';
  did: string;
  domain: string | null;
  url: string | null;
  email: string | null;
  logo: string | null;
  linkedinOrganizationId: string | null;
  brandColor: string | null;
  brandSecondaryColor: string | null;
  createdAt: string;
}

/** A signer for the active key, with the DID it signs as. */
export interface ActiveSigner {
  signer: Signer;
  did: string;
  keyId: string;
  /** The same key for a signing worker thread (services/sign-pool.ts), and its verification method. */
  privateKey: KeyObject;
  vmId: string;
}

/** Derives a URL slug from a name. */
export function slugify(name: string): string {
  const s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return s || 'org';
}

/** The actor of an API key: its id and a label a person recognises. */
export function apiKeyActor(key: Pick<ApiKeyRow, 'id' | 'name' | 'prefix'>): Actor {
  return {type: 'api_key', id: key.id, label: `lrl_${key.prefix}… ${key.name}`};
}

function apiKeyView(row: ApiKeyRow): ApiKeyView {
  return {id: row.id, name: row.name, prefix: `lrl_${row.prefix}`, createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null};
}

/** The settings of a row, as the API names them (what organization.updated entries record). */
function settingsOf(org: OrganizationRow): Required<OrganizationSettingsPatch> {
  return {name: org.name, url: org.url, email: org.email, logo: org.logo, linkedinOrganizationId: org.linkedin_organization_id,
    brandColor: org.brand_color, brandSecondaryColor: org.brand_secondary_color ?? null};
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as {code?: string; constraint?: string; message?: string};
  return e?.code === '23505' && (e.constraint?.includes(constraint) || e.message?.includes(constraint)) === true;
}

/** Organization use cases. */
export class OrganizationService {
  private readonly keyCache = new Map<string, KeyObject>();
  /** Active key per organization, kept only when this process is the only writer (PGlite). */
  private readonly activeKeys = new Map<string, SigningKeyRow>();
  private readonly authCache = new TtlCache<string, Authenticated>(AUTH_CACHE_MS, 10_000);
  private readonly hostCache = new TtlCache<string, OrganizationRow | null>(AUTH_CACHE_MS, 10_000);
  /**
   * This instance's did:web documents, for verification (AUTH_CACHE_MS, like the other
   * caches: a change made by this process clears it once committed, other processes see
   * it within that time). `didGeneration` moves with each clear, so a read that began
   * before a change cannot store its older document after the clear.
   */
  private readonly didCache = new TtlCache<string, ControllerDocument>(AUTH_CACHE_MS, 10_000);
  private didGeneration = 0;

  constructor(private readonly ctx: ServiceContext, private readonly audit: AuditService) {}

  /** The origin an organization's URLs live on: its own domain, or Laurel's public URL. */
  baseUrl(org: OrganizationRow): string {
    return org.domain ? `https://${org.domain}` : this.ctx.publicUrl;
  }

  /** The did:web DID of an organization (did:web orgs only). */
  didWeb(org: OrganizationRow): string {
    return org.domain ? didWebFor(org.domain) : didWebFor(new URL(this.ctx.publicUrl).host, ['issuers', org.slug]);
  }

  private didFor(org: OrganizationRow, key: SigningKeyRow): string {
    return org.did_method === 'key' ? didKeyFromPublicKey(key.public_key) : this.didWeb(org);
  }

  private vmIdFor(org: OrganizationRow, key: SigningKeyRow): string {
    return org.did_method === 'key'
      ? `${didKeyFromPublicKey(key.public_key)}#${encodeEd25519PublicKey(key.public_key)}`
      : `${this.didWeb(org)}#${key.fragment}`;
  }

  /** The organization's current DID (for did:key, the active key's DID). */
  async currentDid(org: OrganizationRow, q: Queryable = this.ctx.db): Promise<string> {
    if(org.did_method === 'web') return this.didWeb(org);
    const key = await findActiveSigningKey(q, org.id);
    if(!key) throw new Error(`organization ${org.id} has no active key`);
    return this.didFor(org, key);
  }

  /** Every DID the organization has issued as (did:key changes with rotation). */
  async allDids(org: OrganizationRow): Promise<string[]> {
    if(org.did_method === 'web') return [this.didWeb(org)];
    return (await listSigningKeys(this.ctx.db, org.id)).map(k => this.didFor(org, k));
  }

  /** The OB 3.0 Profile embedded as `issuer` in credentials. */
  profile(org: OrganizationRow, did: string): Profile {
    return {
      id: did,
      type: ['Profile'],
      name: org.name,
      ...(org.url ? {url: org.url} : {}),
      ...(org.email ? {email: org.email} : {}),
      // A logo that is an uploaded image (an asset id) is for renders only: it has no public URL.
      ...(org.logo && !isAssetId(org.logo) ? {image: {id: org.logo, type: 'Image' as const}} : {}),
    };
  }

  /** Public view. */
  async view(org: OrganizationRow): Promise<OrganizationView> {
    return {
      id: org.id, slug: org.slug, name: org.name, didMethod: org.did_method, did: await this.currentDid(org),
      domain: org.domain, url: org.url, email: org.email, logo: org.logo, linkedinOrganizationId: org.linkedin_organization_id,
      brandColor: org.brand_color, brandSecondaryColor: org.brand_secondary_color ?? null, createdAt: org.created_at.toISOString(),
    };
  }

  /** Creates an organization with its first key and an API key (shown once). */
  async create(input: CreateOrganizationInput, actor: Actor): Promise<{organization: OrganizationView; did: string; apiKey: string}> {
    const slug = input.slug ?? await this.freeSlug(slugify(input.name));
    const id = randomUUID();
    const api = generateApiKey();
    try {
      const org = await this.ctx.db.transaction(async tx => {
        const now = this.ctx.now();
        const row = await insertOrganization(tx, {
          id, slug, name: input.name, did_method: input.didMethod ?? 'web', domain: input.domain?.toLowerCase() ?? null,
          url: input.url ?? null, email: input.email ?? null, logo: input.logo ?? null,
          linkedin_organization_id: input.linkedinOrganizationId ?? null, brand_color: input.brandColor ?? null,
          brand_secondary_color: input.brandSecondaryColor ?? null,
        });
        // A new organization has no uploaded images yet.
        if(isAssetId(row.logo)) throw new DomainError('ASSET_NOT_FOUND', 404, `Asset ${row.logo} was not found; upload the logo after creating the organization.`);
        const key = await this.addKey(tx, row, 1, now);
        const apiKey = await insertApiKey(tx, {id: randomUUID(), organization_id: id, name: 'default', prefix: api.prefix, secret_hash: api.hash, created_at: now});
        await this.audit.append(tx, [
          {organizationId: id, actor, action: 'organization.created', subjectType: 'organization', subjectId: id,
            after: {slug, didMethod: row.did_method, domain: row.domain, ...settingsOf(row), did: this.didFor(row, key), verificationMethod: this.vmIdFor(row, key)}},
          {organizationId: id, actor, action: 'api_key.created', subjectType: 'api_key', subjectId: apiKey.id, after: {name: apiKey.name, prefix: `lrl_${apiKey.prefix}`}},
        ]);
        return row;
      });
      this.hostCache.clear();
      this.forgetDids();
      const organization = await this.view(org);
      return {organization, did: organization.did, apiKey: api.key};
    } catch(error) {
      if(isUniqueViolation(error, 'slug')) throw new DomainError('SLUG_TAKEN', 409, `The slug "${slug}" is already taken.`);
      if(isUniqueViolation(error, 'domain')) throw new DomainError('DOMAIN_TAKEN', 409, `The domain "${input.domain}" is already used by another organization.`);
      throw error;
    }
  }

  private async freeSlug(base: string): Promise<string> {
    for(let i = 1; i < 1000; i++) {
      const slug = i === 1 ? base : `${base}-${i}`;
      if(!await findOrganizationBy(this.ctx.db, 'slug', slug)) return slug;
    }
    return `${base}-${randomUUID().slice(0, 8)}`;
  }

  private async addKey(tx: Queryable, org: OrganizationRow, n: number, validFrom: Date): Promise<SigningKeyRow> {
    const {seed, publicKey} = generateEd25519();
    const id = randomUUID();
    const row: SigningKeyRow = {
      id, organization_id: org.id, fragment: `key-${n}`, public_key: publicKey,
      encrypted_secret: this.ctx.box.seal(seed, `signing-key:${id}`), valid_from: validFrom, valid_until: null,
    };
    await insertSigningKey(tx, row);
    return row;
  }

  /**
   * Rotates the signing key: the active key's window ends now and a new key
   * starts. The old key stays published, so what it signed keeps verifying.
   */
  async rotateKey(org: OrganizationRow, actor: Actor): Promise<{did: string; verificationMethod: string; validFrom: string}> {
    const result = await this.ctx.db.transaction(async tx => {
      await lockOrganization(tx, org.id, 'update');
      const keys = await listSigningKeys(tx, org.id);
      const now = this.ctx.now();
      await retireActiveSigningKey(tx, org.id, now);
      this.activeKeys.delete(org.id);
      const key = await this.addKey(tx, org, keys.length + 1, now);
      const old = keys.find(k => k.valid_until === null);
      const describe = (k: SigningKeyRow) => ({id: k.id, verificationMethod: this.vmIdFor(org, k), validFrom: k.valid_from.toISOString()});
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'signing_key.rotated', subjectType: 'signing_key', subjectId: key.id,
        before: {active: old ? describe(old) : null},
        after: {active: describe(key), retired: old ? {id: old.id, validUntil: now.toISOString()} : null}}]);
      return {did: this.didFor(org, key), verificationMethod: this.vmIdFor(org, key), validFrom: now.toISOString()};
    });
    this.forgetDids();
    return result;
  }

  /**
   * Changes an organization's settings (name, url, email, logo, LinkedIn id, brand colour).
   * The audit entry records the changed fields, before and after; a patch that
   * changes nothing writes nothing.
   */
  async updateSettings(org: OrganizationRow, patch: OrganizationSettingsPatch, actor: Actor): Promise<OrganizationView> {
    const updated = await this.ctx.db.transaction(async tx => {
      const current = await findOrganizationForUpdate(tx, org.id);
      if(!current) throw notFound('ORGANIZATION_NOT_FOUND', 'The organization');
      const old = settingsOf(current);
      const next = {...old};
      for(const k of Object.keys(old) as (keyof OrganizationSettingsPatch)[]) {
        if(patch[k] !== undefined) (next as Record<string, unknown>)[k] = patch[k];
      }
      const changed = (Object.keys(old) as (keyof OrganizationSettingsPatch)[]).filter(k => next[k] !== old[k]);
      if(!changed.length) return current;
      if(changed.includes('logo') && isAssetId(next.logo) && !(await existingAssetIds(tx, org.id, [next.logo])).size) {
        throw new DomainError('ASSET_NOT_FOUND', 404, `Asset ${next.logo} was not found; upload the logo with POST /api/v1/assets first.`,
          {errors: [{path: 'logo', message: 'no such asset'}]});
      }
      const row = await updateOrganizationSettings(tx, org.id, {name: next.name, url: next.url, email: next.email, logo: next.logo,
        linkedin_organization_id: next.linkedinOrganizationId, brand_color: next.brandColor,
        brand_secondary_color: next.brandSecondaryColor} satisfies OrganizationSettings);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'organization.updated', subjectType: 'organization', subjectId: org.id,
        before: Object.fromEntries(changed.map(k => [k, old[k]])), after: Object.fromEntries(changed.map(k => [k, next[k]]))}]);
      return row;
    });
    // Cached rows carry the old name (issuer profiles are built from them).
    this.authCache.clear();
    this.hostCache.clear();
    this.forgetDids();
    return this.view(updated);
  }

  /** The organization's API keys, revoked ones included. */
  async listApiKeys(org: OrganizationRow): Promise<{items: ApiKeyView[]}> {
    return {items: (await listApiKeys(this.ctx.db, org.id)).map(apiKeyView)};
  }

  /** Creates an API key; its secret is returned once, only its hash is stored. */
  async createApiKey(org: OrganizationRow, name: string, actor: Actor): Promise<ApiKeyView & {apiKey: string}> {
    const api = generateApiKey();
    const row = await this.ctx.db.transaction(async tx => {
      const key = await insertApiKey(tx, {id: randomUUID(), organization_id: org.id, name, prefix: api.prefix, secret_hash: api.hash, created_at: this.ctx.now()});
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'api_key.created', subjectType: 'api_key', subjectId: key.id,
        after: {name: key.name, prefix: `lrl_${key.prefix}`}}]);
      return key;
    });
    return {...apiKeyView(row), apiKey: api.key};
  }

  /**
   * Revokes an API key: it stops working at once in this process (the auth
   * cache is cleared) and within AUTH_CACHE_MS in others. The last working key
   * cannot be revoked, so an organization never locks itself out. Revoking a
   * revoked key changes nothing.
   */
  async revokeApiKey(org: OrganizationRow, id: string, actor: Actor): Promise<ApiKeyView> {
    if(!UUID.test(id)) throw notFound('API_KEY_NOT_FOUND', `API key ${id}`);
    const row = await this.ctx.db.transaction(async tx => {
      // Serialises key changes of the organization, so two revocations cannot both pass the last-key check.
      await lockOrganization(tx, org.id, 'update');
      const key = await findApiKey(tx, org.id, id);
      if(!key) throw notFound('API_KEY_NOT_FOUND', `API key ${id}`);
      if(key.revoked_at) return key;
      if(await countActiveApiKeys(tx, org.id) <= 1) {
        throw new DomainError('LAST_API_KEY', 409, 'This is the organization\'s last working API key; create another one before revoking it.');
      }
      const revoked = (await revokeApiKey(tx, org.id, id, this.ctx.now()))!;
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'api_key.revoked', subjectType: 'api_key', subjectId: id,
        before: {name: key.name, prefix: `lrl_${key.prefix}`, revokedAt: null},
        after: {name: key.name, prefix: `lrl_${key.prefix}`, revokedAt: revoked.revoked_at!.toISOString()}}]);
      return revoked;
    });
    this.authCache.clear();
    return apiKeyView(row);
  }

  /**
   * The signer for the organization's active key, read inside the caller's
   * transaction after a share lock, so a concurrent rotation waits for it.
   */
  async activeSigner(tx: Queryable, org: OrganizationRow, locked?: SigningKeyRow | null): Promise<ActiveSigner> {
    // On PGlite transactions are serialised and rotation goes through this service,
    // so the remembered active key is exact and no lock is needed. `locked`: the caller
    // already read the active key under the same lock (issuance, to save a round trip).
    const remembered = this.ctx.db.exclusive ? this.activeKeys.get(org.id) : undefined;
    const key = remembered ?? (locked !== undefined ? locked : await lockAndFindActiveKey(tx, org.id));
    if(!key) throw new Error(`organization ${org.id} has no active key`);
    if(this.ctx.db.exclusive) this.activeKeys.set(org.id, key);
    let privateKey = this.keyCache.get(key.id);
    if(!privateKey) {
      privateKey = privateKeyFromSeed(this.ctx.box.open(key.encrypted_secret, `signing-key:${key.id}`));
      this.keyCache.set(key.id, privateKey);
    }
    const vmId = this.vmIdFor(org, key);
    return {signer: nodeSigner(vmId, privateKey), did: this.didFor(org, key), keyId: key.id, privateKey, vmId};
  }

  /** The DID document for a did:web organization, with every key and its window. */
  async didDocument(org: OrganizationRow): Promise<ControllerDocument> {
    const keys = await listSigningKeys(this.ctx.db, org.id);
    const did = this.didWeb(org);
    return buildDidDocument(did, keys.map(k => ({
      fragment: k.fragment, publicKey: k.public_key, validFrom: k.valid_from.toISOString(),
      ...(k.valid_until ? {validUntil: k.valid_until.toISOString()} : {}),
    })), {alsoKnownAs: [this.baseUrl(org) + (org.domain ? '/' : `/issuers/${org.slug}`)]});
  }

  /** Forgets the cached DID documents (after a committed change to keys or settings). */
  private forgetDids(): void {
    this.didGeneration++;
    this.didCache.clear();
  }

  /**
   * Resolves a DID that belongs to this instance, from the database (never over the
   * network); did:web documents are cached (see didCache) unless `fresh`.
   */
  async resolveLocalDid(did: string, fresh = false): Promise<ControllerDocument | null> {
    if(did.startsWith('did:key:')) return didKeyDocument(did);
    if(!did.startsWith('did:web:')) return null;
    if(!fresh) {
      const hit = this.didCache.get(did);
      if(hit !== undefined) return hit;
    }
    const generation = this.didGeneration;
    const document = await this.readLocalDidWeb(did);
    // Only found documents: an organization created meanwhile (maybe by another process) resolves at once.
    if(document && generation === this.didGeneration) this.didCache.set(did, document);
    return document;
  }

  /** Forgets one cached DID document; true when there was one. */
  forgetCachedDid(did: string): boolean {
    const had = this.didCache.get(did) !== undefined;
    this.didCache.delete(did);
    return had;
  }

  private async readLocalDidWeb(did: string): Promise<ControllerDocument | null> {
    const parts = did.slice(8).split(':').map(decodeURIComponent);
    const ownHost = new URL(this.ctx.publicUrl).host.toLowerCase();
    let org: OrganizationRow | null = null;
    if(parts.length === 3 && parts[0].toLowerCase() === ownHost && parts[1] === 'issuers') {
      org = await findOrganizationBy(this.ctx.db, 'slug', parts[2]);
      if(org?.domain) org = null;
    } else if(parts.length === 1) {
      org = await findOrganizationBy(this.ctx.db, 'domain', parts[0].toLowerCase());
    }
    if(!org || org.did_method !== 'web') return null;
    return this.didDocument(org);
  }

  /** Whether a did:web DID would be served by this instance (its host is ours or an org domain). */
  async isLocalDidWeb(did: string): Promise<boolean> {
    if(!did.startsWith('did:web:')) return false;
    const host = decodeURIComponent(did.slice(8).split(':')[0]).toLowerCase();
    if(host === new URL(this.ctx.publicUrl).host.toLowerCase()) return true;
    return (await findOrganizationBy(this.ctx.db, 'domain', host)) !== null;
  }

  /**
   * The organization owning an API key, or null. Hits are cached for a few
   * seconds (the hot path of every API call); a change made by this process
   * clears the cache at once, other processes see it within AUTH_CACHE_MS.
   */
  async authenticate(apiKey: string): Promise<Authenticated | null> {
    const hash = hashApiKey(apiKey);
    const cacheKey = hash.toString('base64');
    const cached = this.authCache.get(cacheKey);
    if(cached) return cached;
    const found = await findOrganizationByApiKeyHash(this.ctx.db, hash);
    if(!found) return null;
    const result: Authenticated = {org: found.org, actor: apiKeyActor(found.key)};
    this.authCache.set(cacheKey, result);
    return result;
  }

  /** Finds an organization by slug or domain. */
  find(column: 'id' | 'slug' | 'domain', value: string): Promise<OrganizationRow | null> {
    return findOrganizationBy(this.ctx.db, column, value);
  }

  /** The organization whose own domain is `host`, cached briefly (looked up on every request). */
  async findByHost(host: string): Promise<OrganizationRow | null> {
    const cached = this.hostCache.get(host);
    if(cached !== undefined) return cached;
    const org = await findOrganizationBy(this.ctx.db, 'domain', host);
    this.hostCache.set(host, org);
    return org;
  }

  /** Number of organizations. */
  count(): Promise<number> {
    return countOrganizations(this.ctx.db);
  }
}
