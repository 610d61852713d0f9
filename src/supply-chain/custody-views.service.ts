import { Injectable } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { CustodyViewsRepository, Page } from './custody-views.repository';

/** The views every custodian needs: inventory by product, lot and expiry; shipments; alerts. */
@Injectable()
export class CustodyViewsService {
  constructor(private readonly views: CustodyViewsRepository) {}

  async inventory(gln: string, filter: { gtin?: string; lot?: string }) {
    const [lines, containers] = await Promise.all([this.views.inventory(gln, filter), this.views.containersHeld(gln)]);
    return {
      gln,
      units: lines.reduce((sum, line) => sum + line.units, 0),
      lines,
      containers,
    };
  }

  incomingShipments(gln: string, status: 'in_transit' | 'received' | undefined, page: Page) {
    return this.views.shipments(gln, 'incoming', status, page);
  }

  outgoingShipments(gln: string, status: 'in_transit' | 'received' | undefined, page: Page) {
    return this.views.shipments(gln, 'outgoing', status, page);
  }

  alerts(principal: Principal, status: 'open' | 'closed' | undefined, kind: string | undefined, page: Page) {
    const everyone = principal.role === 'regulator' || principal.role === 'operator';
    return this.views.alerts(everyone ? null : principal.gln, status, kind, page);
  }

  products(manufacturer: string) {
    return this.views.products(manufacturer);
  }

  prefixes(gln: string) {
    return this.views.prefixes(gln);
  }

  recalls(manufacturer: string) {
    return this.views.recalledLots(manufacturer);
  }

  pendingReturns(gln: string, page: Page) {
    return this.views.pendingReturns(gln, page);
  }
}
