/**
 * Where `kiln explore --report FILE.html` plugs into the HTML report renderer: it takes the plain
 * ExploreData (the rows and the per-target rows) and writes FILE. Until the renderer lands there is
 * none, and --report is refused with a clear message.
 */
import type { ExploreData } from './rows.ts';

export const renderExploreReport: ((data: ExploreData, file: string) => void) | undefined = undefined;
