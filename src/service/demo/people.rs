//! Made-up customers for the demo store: Chinese and English names, Chinese (+86) and
//! Canadian (604/778/236) mobiles, Chinese and British Columbia plates, and their cars. Every
//! value is invented; emails use the reserved example domains. Nothing here derives Debug, so
//! these values can only be printed on purpose.

use chrono::{Datelike, NaiveDate};

use super::dice::Dice;
use crate::domain::email::normalize_email;
use crate::domain::name::normalize_name;
use crate::domain::phone::Phone;
use crate::domain::plate::normalize_plate;
use crate::domain::vehicle::VehicleKind;
use crate::entropy::EntropyError;
use crate::service::ServiceError;

/// (characters, pinyin)
const SURNAMES: &[(&str, &str)] = &[
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("高", "Gao"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("邓", "Deng"),
    ("冯", "Feng"),
    ("韩", "Han"),
    ("曹", "Cao"),
    ("曾", "Zeng"),
    ("彭", "Peng"),
    ("萧", "Xiao"),
    ("蔡", "Cai"),
    ("潘", "Pan"),
    ("田", "Tian"),
    ("董", "Dong"),
    ("袁", "Yuan"),
    ("于", "Yu"),
    ("余", "Yu"),
    ("叶", "Ye"),
    ("蒋", "Jiang"),
    ("杜", "Du"),
    ("苏", "Su"),
    ("魏", "Wei"),
    ("程", "Cheng"),
    ("吕", "Lyu"),
    ("丁", "Ding"),
    ("沈", "Shen"),
    ("任", "Ren"),
    ("姚", "Yao"),
    ("卢", "Lu"),
    ("傅", "Fu"),
    ("钟", "Zhong"),
    ("姜", "Jiang"),
    ("崔", "Cui"),
    ("谭", "Tan"),
    ("陆", "Lu"),
    ("汪", "Wang"),
    ("范", "Fan"),
    ("金", "Jin"),
    ("石", "Shi"),
    ("廖", "Liao"),
    ("贾", "Jia"),
    ("夏", "Xia"),
    ("方", "Fang"),
    ("白", "Bai"),
    ("邹", "Zou"),
    ("孟", "Meng"),
    ("熊", "Xiong"),
    ("秦", "Qin"),
    ("邱", "Qiu"),
    ("江", "Jiang"),
    ("尹", "Yin"),
    ("薛", "Xue"),
    ("段", "Duan"),
    ("雷", "Lei"),
    ("侯", "Hou"),
    ("龙", "Long"),
    ("陶", "Tao"),
    ("黎", "Li"),
    ("贺", "He"),
    ("顾", "Gu"),
    ("毛", "Mao"),
    ("郝", "Hao"),
    ("龚", "Gong"),
    ("邵", "Shao"),
    ("钱", "Qian"),
    ("严", "Yan"),
    ("戴", "Dai"),
    ("莫", "Mo"),
    ("孔", "Kong"),
    ("向", "Xiang"),
    ("汤", "Tang"),
    ("温", "Wen"),
];

const COMPOUND_SURNAMES: &[(&str, &str)] = &[
    ("欧阳", "Ouyang"),
    ("司马", "Sima"),
    ("上官", "Shangguan"),
    ("诸葛", "Zhuge"),
    ("东方", "Dongfang"),
    ("皇甫", "Huangfu"),
    ("慕容", "Murong"),
    ("令狐", "Linghu"),
    ("司徒", "Situ"),
    ("尉迟", "Yuchi"),
];

const GIVEN_CHARACTERS: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("萍", "ping"),
    ("红", "hong"),
    ("建", "jian"),
    ("文", "wen"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("晨", "chen"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("梓", "zi"),
    ("涵", "han"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("博", "bo"),
    ("雨", "yu"),
    ("萱", "xuan"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("思", "si"),
    ("佳", "jia"),
    ("宁", "ning"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("晓", "xiao"),
    ("海", "hai"),
    ("峰", "feng"),
    ("亮", "liang"),
    ("斌", "bin"),
    ("凯", "kai"),
    ("慧", "hui"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("璐", "lu"),
    ("琪", "qi"),
    ("瑶", "yao"),
    ("昊", "hao"),
    ("然", "ran"),
    ("航", "hang"),
    ("睿", "rui"),
    ("泽", "ze"),
    ("诺", "nuo"),
    ("安", "an"),
    ("心", "xin"),
    ("悦", "yue"),
    ("书", "shu"),
    ("晗", "han"),
    ("铭", "ming"),
    ("志", "zhi"),
    ("国", "guo"),
    ("春", "chun"),
    ("小", "xiao"),
    ("天", "tian"),
    ("云", "yun"),
    ("荣", "rong"),
    ("德", "de"),
    ("兰", "lan"),
    ("梅", "mei"),
    ("燕", "yan"),
    ("玲", "ling"),
    ("丹", "dan"),
    ("蕾", "lei"),
    ("薇", "wei"),
    ("彤", "tong"),
    ("可", "ke"),
    ("欢", "huan"),
    ("鑫", "xin"),
    ("哲", "zhe"),
    ("瑞", "rui"),
];

const ENGLISH_GIVEN: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Michelle",
    "Joshua",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Stephanie",
    "Ryan",
    "Rebecca",
    "Jason",
    "Laura",
    "Justin",
    "Amy",
    "Eric",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Ethan",
    "Chloe",
    "Lucas",
    "Sophie",
    "Owen",
    "Grace",
    "Nathan",
    "Hannah",
    "Logan",
    "Madison",
    "Connor",
    "Avery",
    "Tyler",
    "Zoe",
    "Brandon",
    "Megan",
    "Dylan",
    "Claire",
    "Jacob",
    "Natalie",
    "Benjamin",
    "Leah",
    "Samuel",
    "Ella",
    "Alexander",
    "Charlotte",
    "Jack",
    "Abigail",
    "Gabriel",
    "Isabelle",
    "Mathieu",
    "Amélie",
    "Rajveer",
    "Priya",
];

const ENGLISH_SURNAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Cooper",
    "Peterson",
    "Reed",
    "Bailey",
    "Bell",
    "Kelly",
    "Howard",
    "Ward",
    "Cox",
    "Richardson",
    "Wood",
    "Watson",
    "Brooks",
    "Bennett",
    "Gray",
    "Hughes",
    "Price",
    "Sanders",
    "Myers",
    "Ross",
    "Foster",
    "MacDonald",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "O'Brien",
    "Fraser",
    "McKenzie",
    "Sandhu",
    "Gill",
];

const CHINESE_MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "198", "199",
];

const CANADIAN_AREA_CODES: &[(&str, u32)] = &[("604", 5), ("778", 4), ("236", 2), ("672", 1)];

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// Province abbreviation with the city letters in use for it.
const PROVINCES: &[(&str, &str, u32)] = &[
    ("苏", "ABCDEFGHJKLMN", 6),
    ("粤", "ABCDEFGHJKLMNPQRSTUVWXY", 6),
    ("京", "ABCEFGHJKLMNPQ", 4),
    ("沪", "ABCDEFGHJKLMN", 4),
    ("浙", "ABCDEFGHJKL", 4),
    ("川", "ABCDEFHJKLMQRSTUVWXYZ", 2),
    ("鲁", "ABCDEFGHJKLMNPQRSUV", 2),
    ("闽", "ABCDEFGHJK", 2),
    ("湘", "ABCDEFGHJKLMNU", 1),
    ("辽", "ABCDEFGHJKLMNP", 1),
];

/// Plate letters: I and O are not used, to avoid confusion with 1 and 0.
const PLATE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

const MODELS: &[(VehicleKind, &[&str], u32)] = &[
    (
        VehicleKind::Sedan,
        &[
            "Toyota Camry",
            "Toyota Corolla",
            "Honda Civic",
            "Honda Accord",
            "Hyundai Elantra",
            "Mazda 3",
            "Nissan Altima",
            "Tesla Model 3",
            "BMW 3 Series",
            "Mercedes C-Class",
            "Audi A4",
            "Kia K5",
            "BYD Seal",
            "Volkswagen Jetta",
            "Lexus ES",
        ],
        34,
    ),
    (
        VehicleKind::Suv,
        &[
            "Toyota RAV4",
            "Honda CR-V",
            "Tesla Model Y",
            "Mazda CX-5",
            "Hyundai Tucson",
            "Subaru Forester",
            "Ford Escape",
            "Nissan Rogue",
            "Kia Sportage",
            "Volvo XC60",
            "BMW X5",
            "Lexus RX",
            "BYD Song Plus",
            "Li Auto L7",
            "Subaru Outback",
        ],
        36,
    ),
    (
        VehicleKind::Hatchback,
        &[
            "Volkswagen Golf",
            "Honda Fit",
            "Toyota Prius",
            "Hyundai Kona",
            "Mini Cooper",
            "Chevrolet Bolt",
            "Mazda 3 Sport",
        ],
        10,
    ),
    (
        VehicleKind::Pickup,
        &[
            "Ford F-150",
            "Ram 1500",
            "Chevrolet Silverado",
            "Toyota Tacoma",
            "GMC Sierra",
            "Toyota Tundra",
        ],
        11,
    ),
    (
        VehicleKind::Van,
        &[
            "Toyota Sienna",
            "Honda Odyssey",
            "Chrysler Pacifica",
            "Mercedes Sprinter",
            "Ford Transit",
            "Kia Carnival",
        ],
        7,
    ),
    (VehicleKind::Motorbike, &["Honda CB500", "Yamaha MT-07"], 1),
    (VehicleKind::Other, &["Porsche 911", "Mazda MX-5"], 1),
];

const COLOURS: &[(&str, u32)] = &[
    ("White", 24),
    ("Black", 20),
    ("Silver", 14),
    ("Grey", 16),
    ("Blue", 9),
    ("Red", 8),
    ("Pearl White", 3),
    ("Green", 2),
    ("Beige", 1),
    ("Brown", 1),
    ("Orange", 1),
    ("Yellow", 1),
];

const NOTES: &[&str] = &[
    "Prefers a hand dry; no tunnel.",
    "Roof rack: take it off before the tunnel.",
    "Ceramic coated, so no wax add-ons.",
    "Regular on Saturday mornings.",
    "Dog hair in the back seats; allow extra time.",
    "Aftermarket spoiler: hand wash only.",
    "Asked about the monthly plan; follow up.",
    "No air freshener, please.",
    "Child seat in the back; vacuum around it.",
];

/// How a member's name is written, which also steers their phone and plate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NameStyle {
    /// 张伟, 欧阳娜娜
    Chinese,
    /// Kevin Zhang, Xiaoming Li
    ChineseLatin,
    /// Emily Johnson
    English,
}

pub(super) struct Car {
    /// Normalised, as sealed and indexed.
    pub plate: String,
    /// As a person would write it (`ABC 123`).
    pub plate_shown: String,
    pub chinese_plate: bool,
    pub kind: VehicleKind,
    pub make_model: String,
    pub colour: String,
}

pub(super) struct Person {
    pub name: String,
    pub style: NameStyle,
    pub phone: Option<Phone>,
    /// As a person would type it (`+86 138 1234 5678`, `604-555-1234`).
    pub phone_shown: Option<String>,
    pub chinese_phone: bool,
    pub email: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub notes: Option<String>,
    pub cars: Vec<Car>,
}

/// A generated value failing validation is a bug in the lists above; it is reported, never
/// written.
fn invalid_generated(what: &str) -> ServiceError {
    ServiceError::invalid(format!(
        "the demo generator made an invalid {what}; this is a bug, please report it"
    ))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The ASCII letters of `text`, lowercased (`Côté` → `ct` is avoided by mapping accents).
fn email_part(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' => Some('e'),
            'ô' => Some('o'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

struct Name {
    full: String,
    given_ascii: String,
    family_ascii: String,
    style: NameStyle,
}

fn chinese_given(dice: &Dice) -> Result<(String, String), EntropyError> {
    let (first, first_pinyin) = *dice.pick(GIVEN_CHARACTERS)?;
    if dice.chance(350)? {
        return Ok((first.to_owned(), first_pinyin.to_owned()));
    }
    let (second, second_pinyin) = *dice.pick(GIVEN_CHARACTERS)?;
    Ok((
        format!("{first}{second}"),
        format!("{first_pinyin}{second_pinyin}"),
    ))
}

fn name(dice: &Dice) -> Result<Name, EntropyError> {
    let roll = dice.below(100)?;
    if roll < 38 {
        let (surname, surname_pinyin) = if dice.chance(40)? {
            *dice.pick(COMPOUND_SURNAMES)?
        } else {
            *dice.pick(SURNAMES)?
        };
        let (given, given_pinyin) = chinese_given(dice)?;
        return Ok(Name {
            full: format!("{surname}{given}"),
            given_ascii: given_pinyin,
            family_ascii: surname_pinyin.to_lowercase(),
            style: NameStyle::Chinese,
        });
    }
    if roll < 58 {
        let (_, surname) = *dice.pick(SURNAMES)?;
        let given = if dice.chance(450)? {
            capitalise(&chinese_given(dice)?.1)
        } else {
            (*dice.pick(ENGLISH_GIVEN)?).to_owned()
        };
        return Ok(Name {
            full: format!("{given} {surname}"),
            given_ascii: email_part(&given),
            family_ascii: email_part(surname),
            style: NameStyle::ChineseLatin,
        });
    }
    let given = *dice.pick(ENGLISH_GIVEN)?;
    let surname = *dice.pick(ENGLISH_SURNAMES)?;
    Ok(Name {
        full: format!("{given} {surname}"),
        given_ascii: email_part(given),
        family_ascii: email_part(surname),
        style: NameStyle::English,
    })
}

/// (as typed, parsed)
fn new_chinese_phone(dice: &Dice) -> Result<(String, Phone), ServiceError> {
    let prefix = dice.pick(CHINESE_MOBILE_PREFIXES)?;
    let (middle, last) = (dice.digits(4)?, dice.digits(4)?);
    let phone = Phone::parse(&format!("+86 {prefix}{middle}{last}"))
        .map_err(|_| invalid_generated("a Chinese mobile number"))?;
    Ok((format!("+86 {prefix} {middle} {last}"), phone))
}

fn canadian_phone(dice: &Dice) -> Result<(String, Phone), ServiceError> {
    let area = dice.weighted_pick(CANADIAN_AREA_CODES)?;
    // Exchanges start 2–9 and are never N11 or the fictional 555.
    let exchange = loop {
        let candidate = dice.between(200, 999)?;
        if candidate % 100 != 11 && candidate != 555 {
            break candidate;
        }
    };
    let line = dice.digits(4)?;
    let with_code = dice.chance(350)?;
    let typed = if with_code {
        format!("+1 {area} {exchange} {line}")
    } else {
        format!("{area}-{exchange}-{line}")
    };
    let phone = Phone::parse(&typed).map_err(|_| invalid_generated("a Canadian mobile number"))?;
    Ok((typed, phone))
}

fn plate_letter(dice: &Dice) -> Result<char, EntropyError> {
    Ok(char::from(*dice.pick(PLATE_LETTERS)?))
}

fn new_chinese_plate(dice: &Dice) -> Result<String, EntropyError> {
    let provinces: Vec<((&str, &str), u32)> = PROVINCES
        .iter()
        .map(|(p, letters, w)| ((*p, *letters), *w))
        .collect();
    let (province, letters) = *dice.weighted_pick(&provinces)?;
    let city = char::from(*dice.pick(letters.as_bytes())?);
    if dice.chance(220)? {
        // New-energy plates: D (electric) or F (hybrid) and five digits, eight characters.
        let energy = if dice.chance(750)? { 'D' } else { 'F' };
        return Ok(format!("{province}{city}{energy}{}", dice.digits(5)?));
    }
    let mut tail = String::with_capacity(5);
    for position in 0..5 {
        if position < 2 && dice.chance(180)? {
            tail.push(plate_letter(dice)?);
        } else {
            tail.push(char::from(b'0' + dice.below(10)? as u8));
        }
    }
    Ok(format!("{province}{city}{tail}"))
}

fn bc_plate(dice: &Dice) -> Result<String, EntropyError> {
    if dice.chance(550)? {
        // Current passenger series: AB1 23C
        Ok(format!(
            "{}{}{} {}{}",
            plate_letter(dice)?,
            plate_letter(dice)?,
            dice.digits(1)?,
            dice.digits(2)?,
            plate_letter(dice)?
        ))
    } else {
        Ok(format!(
            "{}{}{} {}",
            plate_letter(dice)?,
            plate_letter(dice)?,
            plate_letter(dice)?,
            dice.digits(3)?
        ))
    }
}

fn car(dice: &Dice, prefer_chinese_plate: bool) -> Result<Car, ServiceError> {
    let chinese_plate = if prefer_chinese_plate {
        dice.chance(800)?
    } else {
        dice.chance(60)?
    };
    let plate_shown = if chinese_plate {
        new_chinese_plate(dice)?
    } else {
        bc_plate(dice)?
    };
    let plate = normalize_plate(&plate_shown).map_err(|_| invalid_generated("a licence plate"))?;
    let kinds: Vec<(usize, u32)> = MODELS
        .iter()
        .enumerate()
        .map(|(i, (_, _, w))| (i, *w))
        .collect();
    let (kind, models, _) = MODELS[*dice.weighted_pick(&kinds)?];
    Ok(Car {
        plate,
        plate_shown,
        chinese_plate,
        kind,
        make_model: (*dice.pick(models)?).to_owned(),
        colour: (*dice.weighted_pick(COLOURS)?).to_owned(),
    })
}

/// One invented customer. Draws come first from the member's stream, so the same seed and
/// index always give the same person whatever else changes.
pub(super) fn person(dice: &Dice, today: NaiveDate) -> Result<Person, ServiceError> {
    let name = name(dice)?;
    let full = normalize_name(&name.full).map_err(|_| invalid_generated("a name"))?;
    let chinese_leaning = name.style != NameStyle::English;
    let has_phone = dice.chance(960)?;
    let chinese_phone = has_phone
        && if chinese_leaning {
            dice.chance(if name.style == NameStyle::Chinese {
                700
            } else {
                250
            })?
        } else {
            false
        };
    let (phone_shown, phone) = if !has_phone {
        (None, None)
    } else if chinese_phone {
        let (shown, phone) = new_chinese_phone(dice)?;
        (Some(shown), Some(phone))
    } else {
        let (shown, phone) = canadian_phone(dice)?;
        (Some(shown), Some(phone))
    };
    let email = if dice.chance(480)? {
        let number = if dice.chance(500)? {
            dice.between(1, 99)?.to_string()
        } else {
            String::new()
        };
        let local = match dice.below(3)? {
            0 => format!("{}.{}{number}", name.given_ascii, name.family_ascii),
            1 => format!(
                "{}{}{number}",
                name.given_ascii.chars().next().unwrap_or('x'),
                name.family_ascii
            ),
            _ => format!("{}{}{number}", name.given_ascii, name.family_ascii),
        };
        let domain = dice.pick(EMAIL_DOMAINS)?;
        Some(
            normalize_email(&format!("{local}@{domain}"))
                .map_err(|_| invalid_generated("an email address"))?,
        )
    } else {
        None
    };
    let birthday = if dice.chance(350)? {
        let year = today.year() - 18 - i32::try_from(dice.below(55)?).unwrap_or(0);
        let ordinal = u32::try_from(dice.below(365)?).unwrap_or(0) + 1;
        NaiveDate::from_yo_opt(year, ordinal)
    } else {
        None
    };
    let notes = if dice.chance(60)? {
        Some((*dice.pick(NOTES)?).to_owned())
    } else {
        None
    };
    let car_count = match dice.below(100)? {
        0..=85 => 1,
        86..=97 => 2,
        _ => 3,
    };
    let mut cars: Vec<Car> = Vec::with_capacity(car_count);
    for _ in 0..car_count {
        let candidate = car(dice, chinese_phone || name.style == NameStyle::Chinese)?;
        if !cars.iter().any(|c| c.plate == candidate.plate) {
            cars.push(candidate);
        }
    }
    Ok(Person {
        name: full,
        style: name.style,
        phone,
        phone_shown,
        chinese_phone,
        email,
        birthday,
        notes,
        cars,
    })
}

/// Words for the demo staff passwords: short, common, easy to type from the screen.
const PASSWORD_WORDS: &[&str] = &[
    "amber", "anchor", "apple", "arrow", "badger", "bamboo", "basket", "beacon", "bicycle",
    "birch", "blossom", "bramble", "breeze", "bridge", "bubble", "button", "cabin", "cactus",
    "camera", "candle", "canyon", "carpet", "castle", "cedar", "cherry", "cinder", "clover",
    "cobalt", "comet", "copper", "coral", "cotton", "cricket", "crystal", "dolphin", "dragon",
    "ember", "falcon", "feather", "fern", "fiddle", "forest", "fossil", "garnet", "ginger",
    "glacier", "granite", "gravel", "harbour", "hazel", "heron", "hollow", "honey", "island",
    "ivory", "jasmine", "juniper", "kettle", "lantern", "lemon", "lilac", "linen", "lizard",
    "magnet", "maple", "marble", "meadow", "mellow", "mirror", "mosaic", "nectar", "nutmeg",
    "oasis", "orbit", "orchid", "otter", "paddle", "pebble", "pepper", "pillow", "planet",
    "pocket", "poppy", "prairie", "quartz", "quill", "rabbit", "raven", "ribbon", "river",
    "rocket", "saddle", "salmon", "sapphire", "shadow", "silver", "sparrow", "spruce", "summit",
    "sunset", "tangle", "thistle", "thunder", "timber", "toffee", "tulip", "tundra", "velvet",
    "violet", "walnut", "willow", "window", "winter", "zephyr",
];

/// A passphrase of five words: about 34 bits from this list, plenty for a demo login that
/// argon2 and the login throttle protect.
pub(super) fn passphrase(
    pick: &mut dyn FnMut(u64) -> Result<u64, EntropyError>,
) -> Result<String, EntropyError> {
    let mut words = Vec::with_capacity(5);
    for _ in 0..5 {
        let index = usize::try_from(pick(PASSWORD_WORDS.len() as u64)?).unwrap_or(0);
        words.push(PASSWORD_WORDS[index % PASSWORD_WORDS.len()]);
    }
    Ok(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::demo::dice::Stream;

    /// The demo's names carry their pinyin; the name index must read them the same way, or
    /// the printed pinyin lookups would find nobody.
    #[test]
    fn the_name_index_reads_demo_names_as_the_demo_spells_them() {
        use crate::domain::name::pinyin_keys;
        let mut misread = Vec::new();
        for (surname, surname_pinyin) in SURNAMES.iter().chain(COMPOUND_SURNAMES) {
            for (given, given_pinyin) in GIVEN_CHARACTERS {
                let expected = format!("{}{given_pinyin}", surname_pinyin.to_lowercase());
                let keys = pinyin_keys(&format!("{surname}{given}"));
                if !keys.iter().any(|key| key.text == expected) {
                    misread.push(format!("{surname}{given} {expected}"));
                }
            }
        }
        assert!(misread.is_empty(), "{misread:?}");
    }

    #[test]
    fn people_are_valid_and_varied() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let (mut chinese_names, mut chinese_phones, mut chinese_plates, mut bc_plates) =
            (0, 0, 0, 0);
        for index in 0..400 {
            let dice = Dice::new(11, Stream::Member(index));
            let person = person(&dice, today).unwrap();
            assert!(!person.name.is_empty());
            assert!(!person.cars.is_empty());
            if person.style == NameStyle::Chinese {
                chinese_names += 1;
            }
            if let Some(phone) = &person.phone {
                let shown = person.phone_shown.as_deref().unwrap();
                assert_eq!(Phone::parse(shown).unwrap().national(), phone.national());
                if person.chinese_phone {
                    chinese_phones += 1;
                    assert_eq!(phone.national().len(), 11);
                    assert!(phone.national().starts_with('1'));
                } else {
                    assert_eq!(phone.national().len(), 10);
                }
            }
            for car in &person.cars {
                assert_eq!(normalize_plate(&car.plate_shown).unwrap(), car.plate);
                if car.chinese_plate {
                    chinese_plates += 1;
                    assert!(matches!(car.plate.chars().count(), 7 | 8), "{}", car.plate);
                } else {
                    bc_plates += 1;
                    assert_eq!(car.plate.len(), 6);
                }
            }
        }
        assert!(chinese_names > 80, "{chinese_names}");
        assert!(chinese_phones > 50, "{chinese_phones}");
        assert!(chinese_plates > 50 && bc_plates > 100);
        let again = person(&Dice::new(11, Stream::Member(5)), today).unwrap();
        let first = person(&Dice::new(11, Stream::Member(5)), today).unwrap();
        assert_eq!(again.name, first.name);
    }

    #[test]
    fn passphrases_pass_the_password_policy() {
        let dice = Dice::new(3, Stream::Bookings);
        for _ in 0..20 {
            let phrase = passphrase(&mut |n| dice.below(n)).unwrap();
            assert_eq!(phrase.split(' ').count(), 5);
            crate::domain::password_policy::check_new_password(&phrase, &["manager"]).unwrap();
        }
    }
}
