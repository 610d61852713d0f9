import { LedgerCore1763935200000 } from './1763935200000-LedgerCore';
import { SupplyChain1763942400000 } from './1763942400000-SupplyChain';
import { Verification1763949600000 } from './1763949600000-Verification';
import { Reports1763956800000 } from './1763956800000-Reports';
import { EpcisCapture1764950400000 } from './1764950400000-EpcisCapture';
import { EpcisXmlReportFormat1764957600000 } from './1764957600000-EpcisXmlReportFormat';
import { People1764986400000 } from './1764986400000-People';
import { AlertTriage1764993600000 } from './1764993600000-AlertTriage';
import { InheritedCustody1765000800000 } from './1765000800000-InheritedCustody';
import { AlertUnit1765008000000 } from './1765008000000-AlertUnit';

/** Every migration, in order. A committed migration is never edited; add a new one. */
export const MIGRATIONS = [
  LedgerCore1763935200000,
  SupplyChain1763942400000,
  Verification1763949600000,
  Reports1763956800000,
  EpcisCapture1764950400000,
  EpcisXmlReportFormat1764957600000,
  People1764986400000,
  AlertTriage1764993600000,
  InheritedCustody1765000800000,
  AlertUnit1765008000000,
];
