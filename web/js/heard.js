// Things that arrive before their audio is heard (analysis events, spectrum columns), held in
// stream-frame order until the player reaches them (docs/events.md, Synchronization). Bounded:
// past `limit` items the oldest go (a player that never starts must not grow memory).
export class HeardQueue {
  constructor(limit = 4096) {
    this.items = [];
    this.limit = limit;
  }

  push(frame, item) {
    const a = this.items;
    // Mostly in order already: insert from the back.
    let i = a.length;
    while (i > 0 && a[i - 1].frame > frame) i -= 1;
    a.splice(i, 0, { frame, item });
    if (a.length > this.limit) a.splice(0, a.length - this.limit);
  }

  // The items whose frame is <= `frame`, in order, taken off the queue.
  take_until(frame) {
    const a = this.items;
    let n = 0;
    while (n < a.length && a[n].frame <= frame) n += 1;
    return n ? a.splice(0, n) : [];
  }

  // The items not heard yet with a frame <= `frame` (what a timeline shows ahead of the playhead).
  peek_until(frame) {
    const out = [];
    for (const e of this.items) {
      if (e.frame > frame) break;
      out.push(e);
    }
    return out;
  }

  clear() {
    this.items.length = 0;
  }

  get length() {
    return this.items.length;
  }
}
