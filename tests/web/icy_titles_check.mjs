// Listens to a live output the way browser players do with icecast-metadata-js (npm): fetch with
// `Icy-MetaData: 1`, icy-metaint from the response header, the reader splitting titles from the
// audio. Prints one JSON line: the status, the metaint, every title it read, the audio bytes.
// Stops when `expect` was read or after `seconds`. Usage:
//   node icy_titles_check.mjs URL SECONDS [EXPECTED_TITLE]
import { IcecastMetadataReader } from 'icecast-metadata-js';

const [url, seconds, expect] = process.argv.slice(2);
if (!url || !seconds) {
  console.error('usage: node icy_titles_check.mjs URL SECONDS [EXPECTED_TITLE]');
  process.exit(2);
}
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), Number(seconds) * 1000);
const out = { titles: [], audioBytes: 0 };
try {
  const res = await fetch(url, { headers: { 'Icy-MetaData': '1' }, signal: controller.signal });
  out.status = res.status;
  out.metaint = Number(res.headers.get('icy-metaint'));
  const reader = new IcecastMetadataReader({
    icyMetaInt: out.metaint,
    metadataTypes: ['icy'],
    onStream: ({ stream }) => { out.audioBytes += stream.length; },
    onMetadata: ({ metadata }) => {
      if (metadata.StreamTitle !== undefined) out.titles.push(metadata.StreamTitle);
      if (expect && metadata.StreamTitle === expect) controller.abort();
    },
  });
  for await (const chunk of res.body) reader.readAll(chunk);
} catch (e) {
  if (e.name !== 'AbortError') out.error = String(e);
}
clearTimeout(timer);
console.log(JSON.stringify(out));
process.exit(0);
