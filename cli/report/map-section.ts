/**
 * A partition map (targets/neuromorphic/map-svg.ts) as a section of a page, shared by the HTML
 * report and the browser playground. Its own file, importing nothing heavy, because the
 * playground's editor script bundles it and must not pull in the report's Vega charts.
 */
import { esc } from '../../targets/neuromorphic/map-svg/xml.ts';

/** The SVG inline under a heading; its XML declaration is dropped, since HTML allows none inside a page. */
export function mapSection(m: { target: string; svg: string }, heading: 'h2' | 'h3'): string {
  return `<${heading}>Partition map: ${esc(m.target)}</${heading}>\n<div class="map">${m.svg.replace(/^<\?xml[^>]*>\s*/, '')}</div>`;
}
