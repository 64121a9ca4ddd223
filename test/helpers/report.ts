/** What tests read back from an HTML report. */

/** The JSON a report embeds, as its readers find it. */
export function embeddedData(html: string): { estimate?: unknown; explore?: unknown } {
  const m = /<script type="application\/json" id="kiln-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data');
  return JSON.parse(m[1]!) as { estimate?: unknown };
}
