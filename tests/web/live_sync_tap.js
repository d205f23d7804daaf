// The click detector of tests/web/live_sync.html, an AudioWorkletProcessor: it sees the samples an
// <audio> element plays (through a MediaElementAudioSourceNode) and posts, for each click, the
// AudioContext frame of its first sample over `threshold` (absolute value, any channel).
class ClickTap extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.threshold = o.threshold;
    this.refractory = o.refractory;  // frames skipped after a click (its ring and codec smear)
    this.next = 0;                   // the first frame that may start another click
    this.started = false;            // whether the element's first sample was posted
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels.length === 0) return true;
    const n = channels[0].length;
    if (!this.started) {
      // the element's first sample: the first one that is not zero (the signal has a bed tone)
      const i = channels[0].findIndex((v) => v !== 0);
      if (i >= 0) {
        this.started = true;
        this.port.postMessage({first: currentFrame + i});
      }
    }
    for (let i = 0; i < n; i++) {
      const frame = currentFrame + i;  // this quantum starts at the context's frame currentFrame
      if (frame < this.next) continue;
      for (const data of channels) {
        const v = Math.abs(data[i]);
        if (v > this.threshold) {
          this.port.postMessage({frame, peak: v});
          this.next = frame + this.refractory;
          break;
        }
      }
    }
    return true;
  }
}

registerProcessor('click-tap', ClickTap);
