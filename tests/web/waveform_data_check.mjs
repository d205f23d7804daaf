// Loads an audiowaveform .dat or .json with the real waveform-data.js (from npm, as peaks.js uses
// it) and prints what it reads as JSON, for tests/integration/test_waveform_data.py to compare.
// Usage: node waveform_data_check.mjs FILE   (FILE ending in .json is parsed as JSON first)
import { readFileSync } from 'node:fs';
import WaveformData from 'waveform-data';

const path = process.argv[2];
if (!path) {
  console.error('usage: node waveform_data_check.mjs FILE.dat|FILE.json');
  process.exit(2);
}

const bytes = readFileSync(path);
const input = path.endsWith('.json')
  ? JSON.parse(bytes.toString('utf8'))
  // A Buffer may share a larger pool: hand over exactly the file's bytes.
  : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

const waveform = WaveformData.create(input);
const channels = [];
for (let c = 0; c < waveform.channels; c++) {
  const channel = waveform.channel(c);
  channels.push({ min: channel.min_array(), max: channel.max_array() });
}

console.log(JSON.stringify({
  channels: waveform.channels,
  length: waveform.length,
  sample_rate: waveform.sample_rate,
  scale: waveform.scale,
  bits: waveform.bits,
  duration: waveform.duration,
  data: channels,
}));
