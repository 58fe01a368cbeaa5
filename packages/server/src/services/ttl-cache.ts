/** A small bounded cache whose entries expire after a fixed time. */
export class TtlCache<K, V> {
  private readonly map = new Map<K, {value: V; expires: number}>();

  constructor(private readonly ttlMs: number, private readonly max: number, private readonly now: () => number = Date.now) {}

  /** The cached value, or undefined when absent or expired. */
  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if(!hit) return undefined;
    if(hit.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Stores a value; the oldest entry goes when full. */
  set(key: K, value: V): void {
    if(this.map.size >= this.max && !this.map.has(key)) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, {value, expires: this.now() + this.ttlMs});
  }

  /** Forgets one entry. */
  delete(key: K): void {
    this.map.delete(key);
  }

  /** Forgets everything (after a change this process made). */
  clear(): void {
    this.map.clear();
  }
}
