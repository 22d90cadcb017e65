// Heard capture worklet: two mono inputs merged upstream into one 2-channel input
// (channel 0 = the agent's microphone, channel 1 = the call's tab audio), converted
// here to interleaved PCM16 little-endian frames and posted to the page, which
// streams them to /ingest/browser/{call_id} (format: see app/ingest/browser.py).
//
// Runs on the audio rendering thread: no allocation per quantum beyond the output
// frame, no locks, nothing that can block.
class HeardCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.channels = o.channels === 1 ? 1 : 2;
    // frames per posted message (default 40 ms at the context's rate)
    this.frameSize = Math.max(128, o.frameSize || Math.round(sampleRate * 0.04));
    this.buf = new Int16Array(this.frameSize * this.channels);
    this.fill = 0; // frames written into buf
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === "stop") this.running = false;
    };
  }

  static toInt16(x) {
    // clamp then scale asymmetrically so -1 -> -32768 and 1 -> 32767
    const s = x < -1 ? -1 : x > 1 ? 1 : x;
    return s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    const n = input && input.length ? input[0].length : 128;
    const ch = this.channels;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < ch; c++) {
        // a missing channel (no tab audio yet, a muted track) is silence
        const data = input && input[c];
        this.buf[this.fill * ch + c] = data ? HeardCapture.toInt16(data[i]) : 0;
      }
      this.fill++;
      if (this.fill === this.frameSize) {
        const out = this.buf;
        this.port.postMessage(out.buffer, [out.buffer]);
        this.buf = new Int16Array(this.frameSize * ch);
        this.fill = 0;
      }
    }
    return true;
  }
}

registerProcessor("heard-capture", HeardCapture);
