/**
 * Rule target kinds: one small form component each, picked by the rule form from this registry.
 * A new kind is a new component and one entry here.
 */
import type { Component } from 'vue';
import type { RuleTarget } from '@packetpilot/protocol';
import InternetTarget from './InternetTarget.vue';
import ServiceTarget from './ServiceTarget.vue';
import CategoryTarget from './CategoryTarget.vue';
import DomainTarget from './DomainTarget.vue';
import AppTarget from './AppTarget.vue';

export type TargetType = RuleTarget['type'];

export interface TargetKind {
  label: string;
  component: Component;
  /** A fresh, not yet filled-in target of this kind. */
  empty: () => RuleTarget;
}

export const TARGET_KINDS: Record<TargetType, TargetKind> = {
  internet: { label: 'Whole internet', component: InternetTarget, empty: () => ({ type: 'internet' }) },
  service: { label: 'Service', component: ServiceTarget, empty: () => ({ type: 'service', id: '' }) },
  category: { label: 'Category', component: CategoryTarget, empty: () => ({ type: 'category', id: '' }) },
  domain: { label: 'Domain', component: DomainTarget, empty: () => ({ type: 'domain', value: '' }) },
  app: { label: 'App', component: AppTarget, empty: () => ({ type: 'app', name: '' }) },
};

export const TARGET_TYPES = Object.keys(TARGET_KINDS) as TargetType[];
