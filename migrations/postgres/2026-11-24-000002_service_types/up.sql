-- Default service types of a household registration office (戶政事務所).
-- Configurable afterwards: offices may add, rename or retire types.
INSERT INTO service_types (code, name_zh, name_en, sort_order) VALUES
    ('birth', '出生登記', 'Birth registration', 10),
    ('death', '死亡登記', 'Death registration', 20),
    ('marriage', '結婚登記', 'Marriage registration', 30),
    ('divorce', '離婚登記', 'Divorce registration', 40),
    ('migration', '遷徙登記', 'Change of address (moving) registration', 50),
    ('transcript', '戶籍謄本', 'Household registration transcript', 60),
    ('id_card', '國民身分證', 'National ID card', 70),
    ('seal', '印鑑登記/證明', 'Seal registration / certificate', 80),
    ('house_number', '門牌', 'House number', 90),
    ('nationality', '國籍', 'Nationality', 100),
    ('other', '其他', 'Other', 990);
