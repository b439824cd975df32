/**
 * The demo directories of `lienthong seed --demo` (issue 19). Agency codes are illustrative, in the
 * QCVN 102 shape (`000.00.00.H01`): real codes are assigned by the province and changed with the 2025
 * reorganisation. The administrative unit (địa danh) is each agency's place of promulgation (NĐ 30/2020
 * Phụ lục I II.4.a).
 *
 * - `an-giang-2025` (the default): An Giang after the reorganisation of 1 July 2025 — Kiên Giang merged
 *   into it (Nghị quyết 202/2025/QH15), the district level ended and communes merged (Nghị quyết
 *   1654/NQ-UBTVQH15 of 16 June 2025 for An Giang's communes and wards). The province, some of its
 *   departments, some of its communes, wards and its special zone, and one district of the old
 *   structure, closed on 2025-07-01 with its successor.
 * - `kien-luong-2024`: the district of Kiên Lương (Kiên Giang) and its eight communes as they were
 *   before the reorganisation: the history, and the README's walkthrough of a district and its communes.
 */
import type { AgencyDecisionValue } from '../directory/agency.entity.js';
import type { AgencyInput } from '../directory/directory.service.js';

export interface DemoAgency extends AgencyInput {
  /** The clerk's console login; none for an agency that is closed in this demo. */
  username?: string;
}

export interface DemoClosing {
  code: string;
  successorCode: string;
  closedAt: string;
  decision: AgencyDecisionValue;
}

export interface DemoDirectory {
  name: string;
  title: string;
  agencies: DemoAgency[];
  /** Agencies of the old structure the demo closes, with their successors. */
  closings: DemoClosing[];
  group: { code: string; name: string; members: string[] };
  /** Where the administrator `quantri` belongs. */
  adminAgency: string;
}

/** vanthu.<level>.<unit without diacritics>: e.g. vanthu.huyen.kienluong, vanthu.xa.binhan (the 2024 demo's logins). */
export function demoUsername(agency: AgencyInput, level?: string): string {
  const lvl = level ?? (agency.level === 'province' ? 'tinh' : agency.level === 'district' ? 'huyen' : agency.name.includes('thị trấn') ? 'tt' : 'xa');
  const unit = (agency.administrativeUnit ?? agency.name)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
  return `vanthu.${lvl}.${unit}`;
}

/** Nghị quyết 1654/NQ-UBTVQH15: the arrangement of An Giang's commune-level units, in force from 1 July 2025. */
export const NQ_1654: AgencyDecisionValue = { number: '1654/NQ-UBTVQH15', date: '2025-06-16' };
/** 1 July 2025, 00:00 in Vietnam: the district level ended. */
export const JULY_1_2025 = '2025-07-01T00:00:00+07:00';

const AN_GIANG = '000.00.00.H01';
/** The district of the old structure: the same code as in the 2024 demo. */
export const OLD_KIEN_LUONG_DISTRICT = '000.00.33.H33';
const NEW_KIEN_LUONG = '000.03.01.H01';

const department = (n: number, name: string, username: string): DemoAgency => ({
  code: `000.0${n}.00.H01`,
  name,
  administrativeUnit: 'An Giang',
  level: 'department',
  parentCode: AN_GIANG,
  username,
});
const commune = (n: number, name: string, unit: string, username: string): DemoAgency => ({
  code: `000.0${n}.01.H01`,
  name,
  administrativeUnit: unit,
  level: 'commune',
  parentCode: AN_GIANG,
  username,
});

const AN_GIANG_COMMUNES: DemoAgency[] = [
  commune(1, 'UBND phường Rạch Giá', 'Rạch Giá', 'vanthu.phuong.rachgia'),
  commune(2, 'UBND phường Long Xuyên', 'Long Xuyên', 'vanthu.phuong.longxuyen'),
  commune(3, 'UBND xã Kiên Lương', 'Kiên Lương', 'vanthu.xa.kienluong'),
  commune(4, 'UBND xã Hòn Đất', 'Hòn Đất', 'vanthu.xa.hondat'),
  commune(5, 'UBND đặc khu Phú Quốc', 'Phú Quốc', 'vanthu.dackhu.phuquoc'),
];

const AN_GIANG_2025: DemoDirectory = {
  name: 'an-giang-2025',
  title: 'An Giang after the reorganisation of 1 July 2025 (NQ 1654/NQ-UBTVQH15)',
  agencies: [
    { code: AN_GIANG, name: 'UBND tỉnh An Giang', administrativeUnit: 'An Giang', level: 'province', address: 'Phường Rạch Giá, tỉnh An Giang', username: 'vanthu.tinh.angiang' },
    department(1, 'Sở Nội vụ tỉnh An Giang', 'vanthu.so.noivu'),
    department(2, 'Sở Tài chính tỉnh An Giang', 'vanthu.so.taichinh'),
    department(3, 'Sở Giáo dục và Đào tạo tỉnh An Giang', 'vanthu.so.giaoducdaotao'),
    department(4, 'Sở Tư pháp tỉnh An Giang', 'vanthu.so.tuphap'),
    department(5, 'Sở Y tế tỉnh An Giang', 'vanthu.so.yte'),
    ...AN_GIANG_COMMUNES,
    // The old structure: a district that no longer exists, kept so that what is still addressed to it
    // (and its archive) has a successor.
    { code: OLD_KIEN_LUONG_DISTRICT, name: 'UBND huyện Kiên Lương', administrativeUnit: 'Kiên Lương', level: 'district' },
  ],
  closings: [{ code: OLD_KIEN_LUONG_DISTRICT, successorCode: NEW_KIEN_LUONG, closedAt: JULY_1_2025, decision: NQ_1654 }],
  group: { code: 'AG-XA', name: 'Các xã, phường, đặc khu tỉnh An Giang (demo)', members: AN_GIANG_COMMUNES.map((a) => a.code) },
  adminAgency: AN_GIANG,
};

const KG_PROVINCE = '000.00.00.H33';
const KL_COMMUNES: DemoAgency[] = (
  [
    ['UBND thị trấn Kiên Lương', 'Kiên Lương'],
    ['UBND xã Bình An', 'Bình An'],
    ['UBND xã Bình Trị', 'Bình Trị'],
    ['UBND xã Dương Hòa', 'Dương Hòa'],
    ['UBND xã Hòa Điền', 'Hòa Điền'],
    ['UBND xã Kiên Bình', 'Kiên Bình'],
    ['UBND xã Hòn Nghệ', 'Hòn Nghệ'],
    ['UBND xã Sơn Hải', 'Sơn Hải'],
  ] as const
).map(([name, unit], i): DemoAgency => {
  const agency: AgencyInput = { code: `000.0${i + 1}.33.H33`, name, administrativeUnit: unit, level: 'commune', parentCode: OLD_KIEN_LUONG_DISTRICT };
  return { ...agency, username: demoUsername(agency) };
});

const KIEN_LUONG_2024: DemoDirectory = {
  name: 'kien-luong-2024',
  title: 'Kiên Lương district (Kiên Giang) before the reorganisation of 2025',
  agencies: [
    { code: KG_PROVINCE, name: 'UBND tỉnh Kiên Giang', administrativeUnit: 'Kiên Giang', level: 'province', address: '06 Nguyễn Công Trứ, Rạch Giá, Kiên Giang', username: 'vanthu.tinh.kiengiang' },
    {
      code: OLD_KIEN_LUONG_DISTRICT,
      name: 'UBND huyện Kiên Lương',
      administrativeUnit: 'Kiên Lương',
      level: 'district',
      parentCode: KG_PROVINCE,
      address: 'Thị trấn Kiên Lương, Kiên Giang',
      username: 'vanthu.huyen.kienluong',
    },
    ...KL_COMMUNES,
  ],
  closings: [],
  group: { code: 'KL-XA', name: 'Các xã, thị trấn huyện Kiên Lương', members: KL_COMMUNES.map((a) => a.code) },
  adminAgency: KG_PROVINCE,
};

export const DEMO_DIRECTORIES: Record<string, DemoDirectory> = {
  [AN_GIANG_2025.name]: AN_GIANG_2025,
  [KIEN_LUONG_2024.name]: KIEN_LUONG_2024,
};

export const DEFAULT_DEMO = AN_GIANG_2025.name;
