/**
 * Bitstring Status Lists (W3C Bitstring Status List v1.0): slot allocation at
 * random inside the issuing transaction, and publishing each list pair as two
 * signed BitstringStatusListCredentials (revocation, suspension).
 *
 * The bits live in `status_entries` (one row per slot); a list is re-signed from
 * them when its `version` has moved past `published_version`. A change is
 * published by a debounced kick in the process that made it, and by a sweep
 * every second (other processes, crashes), so many changes cost one re-sign.
 */
import {createHash, randomInt} from 'node:crypto';
import {Bitstring, buildStatusListCredential, didKeyFromPublicKey, encodeEd25519PublicKey, encodeStatusList, signCredential,
  type Signer, statusListEntry} from '@laurel/core';
import {nodeSigner, privateKeyFromSeed} from '../crypto/ed25519.js';
import {randomId} from '../crypto/tokens.js';
import type {Queryable} from '../db/database.js';
import {findOrganizationBy, listSigningKeys} from '../db/organizations-repo.js';
import type {OrganizationRow} from '../db/rows.js';
import {claimSlots, createOpenList, findList, findListVersion, findOpenList, listsToPublish, lockListForPublishing, markListFull, setBitsOf, setStatusBits,
  storePublished} from '../db/status-repo.js';
import type {ServiceContext} from './context.js';
import type {OrganizationService} from './organizations.js';

/** Bits per list: the spec's minimum (16 KiB), which gives herd privacy of 131,072. */
export const STATUS_LIST_SIZE = 131_072;
/** `ttl` of a published list, in milliseconds; Cache-Control max-age is ttl / 1000. */
export const STATUS_LIST_TTL_MS = 60_000;
/** A published list is valid this long; it is re-signed well before (STALE_AFTER_MS). */
export const STATUS_LIST_VALIDITY_MS = 30 * 24 * 3600_000;
const STALE_AFTER_MS = 7 * 24 * 3600_000;
/** A slot drawn this many times in a row onto taken indexes means the list is (nearly) full. */
const MAX_DRAWS = 32;
/** Debounce of a publish after a change in this process. */
const KICK_DELAY_MS = 50;

export type StatusPurpose = 'revocation' | 'suspension';

/** A claimed slot. */
export interface StatusSlot {
  listId: string;
  idx: number;
}

/** A published list document, for the public route. */
export interface PublishedList {
  body: string;
  etag: string;
  organizationId: string;
}

/** Status list use cases. */
export class StatusListService {
  /** How many times lists were signed (tests, benchmarks). */
  publishCount = 0;
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The open list per organization and issuer DID, as last seen. */
  private readonly openLists = new Map<string, {id: string; size: number}>();
  /** Exclusive databases only: list versions as last committed (see version()). */
  private readonly versions = new Map<string, string>();
  private versionGeneration = 0;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService) {}

  /** The URL of a list's credential for one purpose. */
  listUrl(org: OrganizationRow, listId: string, purpose: StatusPurpose): string {
    return `${this.orgs.baseUrl(org)}/status/${listId}/${purpose}`;
  }

  /** The two BitstringStatusListEntry objects a credential in this slot carries. */
  entries(org: OrganizationRow, slot: StatusSlot): Record<string, unknown>[] {
    return (['revocation', 'suspension'] as const).map(purpose =>
      statusListEntry({listCredentialUrl: this.listUrl(org, slot.listId, purpose), index: slot.idx, purpose}));
  }

  /**
   * Claims one slot per item at random among the free indexes of the issuer DID's open
   * list, inside the caller's transaction. Never two items on one index: the primary key
   * (list, index) decides, also between concurrent transactions on PostgreSQL. A list on
   * which a slot misses MAX_DRAWS times in a row is marked full and a new one is opened.
   */
  async allocate(tx: Queryable, org: OrganizationRow, issuerDid: string,
    items: {credentialId?: string; externalId?: string}[]): Promise<StatusSlot[]> {
    const slots: (StatusSlot | undefined)[] = new Array(items.length);
    let todo = items.map((_, i) => i);
    let misses = new Map<number, number>();
    const cacheKey = `${org.id} ${issuerDid}`;
    while(todo.length) {
      // The open list is remembered: if another process closed it meanwhile, slots still land in
      // it (the primary key keeps them unique) until the misses close it here too.
      let list = this.openLists.get(cacheKey) ?? await findOpenList(tx, org.id, issuerDid);
      if(!list) {
        await createOpenList(tx, {id: randomId(), organizationId: org.id, issuerDid, size: STATUS_LIST_SIZE});
        list = await findOpenList(tx, org.id, issuerDid);
        if(!list) continue;
      }
      let full = false;
      while(todo.length && !full) {
        const drawn = new Map<number, number>();
        for(const i of todo) {
          let idx = randomInt(list.size);
          while(drawn.has(idx)) idx = randomInt(list.size);
          drawn.set(idx, i);
        }
        const claimed = new Set(await claimSlots(tx, list.id, org.id, [...drawn].map(([idx, i]) =>
          ({idx, credentialId: items[i].credentialId ?? null, externalId: items[i].externalId ?? null}))));
        const next: number[] = [];
        for(const [idx, i] of drawn) {
          if(claimed.has(idx)) {
            slots[i] = {listId: list.id, idx};
            continue;
          }
          const n = (misses.get(i) ?? 0) + 1;
          misses.set(i, n);
          if(n >= MAX_DRAWS) full = true;
          next.push(i);
        }
        todo = next;
      }
      if(full) {
        await markListFull(tx, list.id, this.ctx.now());
        this.openLists.delete(cacheKey);
        misses = new Map();
      } else {
        this.openLists.set(cacheKey, list);
      }
    }
    return slots as StatusSlot[];
  }

  /** Asks for the lists to be re-published soon (after the caller's transaction committed). */
  kick(listIds: Iterable<string>): void {
    for(const id of listIds) this.pending.add(id);
    if(this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const ids = [...this.pending];
      this.pending.clear();
      void Promise.all(ids.map(id => this.publish(id).catch(() => undefined)));
    }, KICK_DELAY_MS);
    this.timer.unref?.();
  }

  /** Publishes every list that changed or is getting old. Returns how many were published. */
  async sweep(): Promise<number> {
    const ids = await listsToPublish(this.ctx.db, new Date(this.ctx.now().getTime() - STALE_AFTER_MS), 100);
    let n = 0;
    for(const id of ids) if(await this.publish(id)) n++;
    return n;
  }

  /**
   * Re-signs a list pair if it changed since it was last published. Concurrent calls in
   * this process share one run; another process publishing it makes this a no-op (SKIP LOCKED).
   */
  publish(listId: string): Promise<boolean> {
    const running = this.inFlight.get(listId);
    if(running) return running.then(() => this.publish(listId));
    let published = false;
    const run = this.ctx.db.transaction(async tx => {
      const list = await lockListForPublishing(tx, listId);
      if(!list) return;
      const stale = !list.published_at || list.published_at.getTime() < this.ctx.now().getTime() - STALE_AFTER_MS;
      if(list.version === list.published_version && !stale) return;
      const org = await findOrganizationBy(tx, 'id', list.organization_id);
      if(!org) return;
      const revoked = new Bitstring(list.size), suspended = new Bitstring(list.size);
      for(const bit of await setBitsOf(tx, listId)) {
        if(bit.revoked) revoked.set(bit.idx, true);
        if(bit.suspended) suspended.set(bit.idx, true);
      }
      const signer = await this.signerFor(tx, org, list.issuer_did);
      const now = this.ctx.now();
      const sign = async (purpose: StatusPurpose, bits: Bitstring) => {
        const url = this.listUrl(org, listId, purpose);
        const unsigned = buildStatusListCredential({
          id: url, issuer: list.issuer_did, statusPurpose: purpose, encodedList: await encodeStatusList(bits.bytes),
          validFrom: now.toISOString(), validUntil: new Date(now.getTime() + STATUS_LIST_VALIDITY_MS).toISOString(), ttl: STATUS_LIST_TTL_MS,
        });
        return JSON.stringify(await signCredential(unsigned, signer, now.toISOString(), this.ctx.canonicalizer));
      };
      await storePublished(tx, listId, list.version, {revocation: await sign('revocation', revoked), suspension: await sign('suspension', suspended)}, now);
      this.publishCount++;
      published = true;
    }).finally(() => this.inFlight.delete(listId));
    this.inFlight.set(listId, run);
    return run.then(() => published);
  }

  /**
   * A list's version: it moves in the transaction of every status change, so a copy of
   * an older version is stale. The only writer (PGlite) remembers the versions it read
   * and forgets one when a change of its own to that list commits (setBits); with
   * PostgreSQL, where other processes write too, it is read each time.
   */
  async version(listId: string): Promise<string | null> {
    const known = this.versions.get(listId);
    if(known !== undefined) return known;
    const generation = this.versionGeneration;
    const version = await findListVersion(this.ctx.db, listId);
    // A change that committed while this read was under way may have made it stale: then it is not kept.
    if(this.ctx.db.exclusive && version !== null && generation === this.versionGeneration) {
      if(this.versions.size >= 10_000) this.versions.delete(this.versions.keys().next().value as string);
      this.versions.set(listId, version);
    }
    return version;
  }

  /** Sets or clears status bits in the caller's transaction; their lists' versions move with them. */
  async setBits(tx: Queryable, slots: {listId: string; idx: number}[], bits: {revoked?: boolean; suspended?: boolean}): Promise<void> {
    await setStatusBits(tx, slots, bits);
    // Until the commit the remembered (committed) versions stay right; a rollback leaves them right.
    const forget = () => {
      this.versionGeneration++;
      for(const s of slots) this.versions.delete(s.listId);
    };
    if(tx.afterCommit) tx.afterCommit(forget);
    else forget();
  }

  /**
   * The current signed list for a purpose, published first if it changed: Laurel's
   * own verification and the public route never serve a list older than the last change.
   */
  async current(listId: string, purpose: StatusPurpose): Promise<PublishedList | null> {
    let list = await findList(this.ctx.db, listId);
    if(!list) return null;
    if(list.version !== list.published_version || !list.revocation_doc) {
      await this.publish(listId);
      list = await findList(this.ctx.db, listId);
      if(!list) return null;
    }
    const body = purpose === 'revocation' ? list.revocation_doc : list.suspension_doc;
    if(!body) return null;
    return {body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, organizationId: list.organization_id};
  }

  /**
   * The signer for the DID a list was opened under: the active key for did:web (the DID
   * outlives rotation), and for did:key the key that is that DID, even after rotation.
   */
  private async signerFor(tx: Queryable, org: OrganizationRow, did: string): Promise<Signer> {
    const active = await this.orgs.activeSigner(tx, org);
    if(active.did === did) return active.signer;
    const key = (await listSigningKeys(tx, org.id)).find(k => didKeyFromPublicKey(k.public_key) === did);
    if(!key) throw new Error(`no key of organization ${org.id} is ${did}`);
    const privateKey = privateKeyFromSeed(this.ctx.box.open(key.encrypted_secret, `signing-key:${key.id}`));
    return nodeSigner(`${did}#${encodeEd25519PublicKey(key.public_key)}`, privateKey);
  }

  /** Stops pending kicks (shutdown). */
  stop(): void {
    if(this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
