"""The diversion catalogue the platform starts with, after the national frame (国办发〔2022〕12号):
what 110 hands to 12345 (非警务类) and what 12345 pushes to 110 (警务类). Used by the data migration
and by tests that flush the tables; adds only what is missing, so edits survive."""

TO_12345 = [
    (
        "水电气暖",
        [
            ("停水、水管爆裂", "停水,没水,水管爆裂,自来水,水压,漏水"),
            ("停电、电力故障", "停电,没电,跳闸,电力故障,电线"),
            ("燃气供应故障（非泄漏险情）", "燃气不通,燃气费,燃气表,没有燃气"),
            ("供暖故障", "暖气,供暖,不热"),
        ],
    ),
    (
        "噪音扰民（非治安）",
        [
            ("装修施工噪音", "装修,施工噪音,电钻,夜间施工,工地噪音"),
            ("商业、广场活动噪音", "广场舞,音响,商铺噪音,喇叭"),
        ],
    ),
    (
        "物业纠纷",
        [
            ("物业服务与收费", "物业费,物业服务,物业公司,电梯故障,电梯坏"),
            ("小区停车与公共设施", "小区停车,车位,门禁,楼道"),
        ],
    ),
    (
        "市政设施损坏",
        [
            ("道路、井盖损坏", "井盖,路面塌陷,道路破损,坑洼"),
            ("路灯、信号设施故障", "路灯,信号灯不亮,红绿灯坏"),
            ("排水积水", "积水,下水道堵,排水"),
        ],
    ),
    (
        "消费投诉",
        [
            ("商品与服务质量", "商品质量,假货,退货,退款,售后"),
            ("预付卡、会员卡", "预付卡,会员卡,办卡,健身房跑路,充值卡"),
            ("价格争议", "乱收费,价格,宰客,多收钱"),
        ],
    ),
    (
        "劳动保障",
        [
            ("劳资欠薪咨询", "欠薪,拖欠工资,讨薪,工资没发,欠工资"),
            ("社保与劳动合同咨询", "社保,劳动合同,工伤认定,辞退"),
        ],
    ),
    (
        "市容环境",
        [
            ("占道经营", "占道经营,摆摊,流动摊贩,占道"),
            ("乱堆乱放、垃圾清运", "垃圾,乱堆,乱放,建筑垃圾"),
            ("环境污染（非刑事）", "油烟,异味,污水,排污,臭味"),
        ],
    ),
    (
        "动物管理",
        [
            ("流浪动物（未伤人）", "流浪狗,流浪猫,野狗"),
        ],
    ),
    (
        "政务咨询",
        [
            ("政策与办事咨询", "咨询,怎么办理,政策,办事流程"),
        ],
    ),
]

TO_110 = [
    (
        "违法犯罪",
        [
            ("正在发生的违法犯罪", "抢劫,抢夺,盗窃,偷东西,入室,打人,斗殴"),
            ("涉嫌诈骗正在转账", "诈骗,转账,被骗,骗子"),
        ],
    ),
    (
        "人身安全",
        [
            ("人身安全受到威胁", "威胁,持刀,砍人,家暴,跟踪,绑架"),
            ("有人扬言轻生", "自杀,轻生,跳楼,跳河"),
        ],
    ),
    (
        "交通安全",
        [
            ("交通事故现场", "车祸,交通事故,撞人,撞车,追尾"),
            ("道路险情危及通行", "散落物,抛洒,逆行,醉驾"),
        ],
    ),
    (
        "紧急求助",
        [
            ("紧急求助", "救命,被困,走失,溺水,求救,老人走失,小孩走失"),
        ],
    ),
    (
        "治安秩序",
        [
            ("聚集滋事、群体性事件", "聚集,围堵,滋事,群体"),
            ("涉治安的噪音与纠纷", "殴打,砸东西,持械"),
        ],
    ),
]

DIRECTIONS = (("to_12345", TO_12345), ("to_110", TO_110))


def seed(apps, schema_editor=None):
    Category = apps.get_model("incidents", "DiversionCategory")
    Item = apps.get_model("incidents", "DiversionItem")
    for direction, categories in DIRECTIONS:
        for cpos, (cname, items) in enumerate(categories):
            category, _created = Category.objects.get_or_create(
                direction=direction, name=cname, defaults={"position": cpos}
            )
            for ipos, (name, keywords) in enumerate(items):
                Item.objects.get_or_create(
                    category=category,
                    name=name,
                    defaults={
                        "keywords": keywords,
                        "position": ipos,
                        "incident_category": "non_police" if direction == "to_12345" else "",
                    },
                )
