import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import { ReportSnapshot } from '../reports.repository';

export async function writeEpcis(_snapshot: ReportSnapshot, _context: ReportContext, _sink: ReportSink): Promise<void> {
  throw new Error('EPCIS export is not available yet');
}
