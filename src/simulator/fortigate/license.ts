/**
 * The VM licence of one simulated FortiGate: evaluation until a downloaded token takes effect at the next
 * boot, then the entitlement's serial, whose validity follows the entitlement's FortiFlex status as the
 * configured behaviour says. The device asks FortiFlex on every `license/status` request, standing in for
 * FortiGuard's periodic validation, so a stop is "noticed" at the first request after it.
 *
 * Assumed, since no public source states it: an evaluation unit reports `valid: true, status: "vm_eval"`; an
 * EXPIRED entitlement makes the unit `vm_invalid` whatever the behaviour switches say.
 */
import type { LicenseAuthority, WhenEntitlementReactivated, WhenEntitlementStopped } from './types';

/** `results.vm` as the simulator reports it. */
export interface VmLicenseView {
  valid: boolean;
  status: 'vm_eval' | 'vm_valid' | 'vm_invalid';
  licensed: boolean;
}

/** Licence state of one device. */
export class DeviceLicense {
  private current: string | undefined;
  /** A token downloaded but not yet in force: the serial it gives after the reboot. */
  private pendingSerial: string | undefined;
  private invalidatedByStop = false;

  constructor(
    readonly evaluationSerial: string,
    licensedSerial: string | undefined,
    private readonly whenStopped: WhenEntitlementStopped,
    private readonly whenReactivated: WhenEntitlementReactivated,
  ) {
    this.current = licensedSerial;
  }

  /** The serial the unit reports. */
  serial(): string {
    return this.current ?? this.evaluationSerial;
  }

  licensedSerial(): string | undefined {
    return this.current;
  }

  /** True between an accepted token and the reboot that puts it in force. */
  pending(): boolean {
    return this.pendingSerial !== undefined;
  }

  /** A token was accepted: it takes effect at the reboot that follows. */
  accept(serialNumber: string): void {
    this.pendingSerial = serialNumber;
  }

  /** The reboot: a pending licence takes effect. Returns the new serial, or undefined when nothing changed. */
  boot(): string | undefined {
    if (this.pendingSerial === undefined) return undefined;
    this.current = this.pendingSerial;
    this.pendingSerial = undefined;
    this.invalidatedByStop = false;
    return this.current;
  }

  /** The VM licence now, checked against FortiFlex. */
  view(authority: LicenseAuthority | undefined): VmLicenseView {
    if (this.current === undefined) return { valid: true, status: 'vm_eval', licensed: false };
    const status = authority?.entitlementStatus(this.current);
    if (status === 'EXPIRED') return { valid: false, status: 'vm_invalid', licensed: true };
    if (status === 'STOPPED' && this.whenStopped === 'becomesInvalid') this.invalidatedByStop = true;
    else if (status !== 'STOPPED' && this.invalidatedByStop && this.whenReactivated === 'restores')
      this.invalidatedByStop = false;
    return this.invalidatedByStop
      ? { valid: false, status: 'vm_invalid', licensed: true }
      : { valid: true, status: 'vm_valid', licensed: true };
  }
}
