"""The vendors' own examples, copied from the seeds (comments and trailing commas removed).

``REQUESTS``: (vendor, operation, method, real URL, body) as the documents show them.
``RESPONSES``: (vendor, operation, "success" | "error", body) example answers.
``CALLBACKS``: (vendor, operation, body) example delivery reports.
Placeholders stay as the documents write them (``66XXXXXXXX``, fake checksums): the mock must
answer them in its documented shapes, and the answers must fit our schemas.
"""

from __future__ import annotations

SMART = "https://services.smartsmsbulk.com"
FPT = "http://sandbox.sms.fpt.net"
# The seed's token and placeholder token (its line breaks joined; the seed's JSON examples also
# omit the commas between members, added here).
FPT_TOKEN = (
    "wVc5M1pwcU5wNE9OVzVYaw9kOXFUOUFaUnFOTFpFdEN1KzY1bFRNWjhyK1oxUDVFTi9XVDU4YXYzd0dIQ2VRZF1NaTBubndQd09BWE8zai9hQjYrSzFzZWVX"
    "OGhGWHB5cHNzOHMwN0t5VE16M1ZRAd1JM1MrT1BCV312RFJxWFpjZmp2dFYrK1hMbVJNeDhBTXZoOUs5Q1Bic3gwYyt3QnJ0a1N6Y11EZG5QSEnSOHFvS2E3NVBVOGppNH11SC9r"
)
FPT_SHORT = "wVc5M1pwcU5wNE9OVzVYaw9kOXFUOUFa..."

REQUESTS = [
    (
        "smartsmsbulk",
        "send_sms",
        "POST",
        f"{SMART}/api/v2/SendSMS",
        {
            "phoneNo": "66852262236",
            "userId": 42,
            "partnerId": 21,
            "senderId": 25,
            "message": "สวัสดี",
            "callbackUrl": "https://partner.com/callback",
            "chksum": "00a210e3bf53de285cf33e5dcece1bc7",
        },
    ),
    (
        "smartsmsbulk",
        "send_bulk",
        "POST",
        f"{SMART}/api/v2/SendBulkSMS",
        [
            {
                "phoneNo": "66818593778",
                "userId": 6,
                "partnerId": 2,
                "senderId": 40,
                "message": "สวัสดีครับ วันนี้อากาศสดใส",
                "callbackUrl": "https://partner.com/callback",
                "chksum": "5fasdf86d9dfas59fbf4fasdfa65sdfhtr92a",
            },
            {
                "phoneNo": "66818593779",
                "userId": 6,
                "partnerId": 2,
                "senderId": 40,
                "message": "สวัสดีครับ วันนี้อากาศสดใส",
                "callbackUrl": "https://partner.com/callback",
                "chksum": "5faafaf86d9dfas59fbsfaf4fasdasdcag",
            },
        ],
    ),
    (
        "smartsmsbulk",
        "query_dr",
        "POST",
        f"{SMART}/api/delivery/QueryDR",
        {
            "refId": "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691",
            "userId": 42,
            "partnerId": 21,
            "chksum": "000f92bff5ce79bf3edae32c01ff99c5",
        },
    ),
    (
        "smartsmsbulk",
        "otp_send",
        "POST",
        f"{SMART}/api/OptSendSms/OptSendSms",
        {
            "otpId": "20241226547ED26AAA",
            "phoneNo": "66852262236",
            "userId": 42,
            "partnerId": 21,
            "chksum": "d49a487b7985a8dc212c8499ab100027",
            "otpCode": "string",
            "refCode": "string",
        },
    ),
    (
        "smartsmsbulk",
        "otp_verify",
        "POST",
        f"{SMART}/api/OptSendSms/OptVerify",
        {"otpId": "20241226547ED26AAA", "phoneNo": "66852262236", "refCode": "rmOzMMLW", "otpCode": "2443"},
    ),
    (
        "smartsmsbulk",
        "check_balance",
        "POST",
        f"{SMART}/api/credit/CheckBalance",
        {"userId": 6, "partnerId": 2, "timestamp": 1763321555, "chksum": "354cdbafadbb4basdf409730casdfadcdd6d"},
    ),
    (
        "voiceotp",
        "otp_send",
        "POST",
        "http://210.211.108.20:8080/onsmsapivoice/postSMS",
        {
            "phonesend": "036xxxxx",
            "sender": "DAUS01",
            "key": "XXXXXXX",
            "message": "123456",
            "pass": "YYYYYYY",
            "username": "ZZZZZZZZZZ",
        },
    ),
    (
        "voiceotp",
        "check_voice",
        "POST",
        "http://210.211.108.20:8080/onsmsapivoice/checkVoice",
        {
            "username": "zzzzzzz",
            "pass": "xxxxxxxx",
            "key": "XXXXXXX",
            "request_id": "1dc7b7eb-a9e7-4162-91cd-6027d95b290c",
        },
    ),
    (
        "voiceotp",
        "check_balance",
        "POST",
        "http://210.211.108.20:8080/onsmsapivoice/checkBalance",
        {"username": "zzzzzzz", "pass": "xxxxxxxx", "key": "XXXXXXX"},
    ),
    (
        "fpt",
        "token",
        "POST",
        f"{FPT}/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_id": "e615D85fc918f252e1754Ce2391c8Ef923AAB401",
            "client_secret": "663642d023602e28784F8789dC939f14a54ece5f588848beBdd6",
            "scope": "send_brandname_otp",
            "session_id": "789dC48b88e54f58ece5939f14a",
        },
    ),
    (
        "fpt",
        "send_sms",
        "POST",
        f"{FPT}/api/push-brandname-otp",
        {
            "access_token": FPT_TOKEN,
            "session_id": "abcde",
            "BrandName": "FTI",
            "Phone": "0949123456",
            "Message": "dGVzdCB0aW4gbmjuhuq9u",
        },
    ),
    (
        "fpt",
        "create_campaign",
        "POST",
        f"{FPT}/api/create-campaign",
        {
            "access_token": FPT_SHORT,
            "session_id": "abcde",
            "CampaignName": "Chuong trinh khuyen mai T6-2016",
            "BrandName": "FTI",
            "Message": "Giam gia 10% cho hoa don tren 10tr dong",
            "ScheduleTime": "2016-06-16 10:30",
            "Quota": "15000",
        },
    ),
    (
        "fpt",
        "send_ads",
        "POST",
        f"{FPT}/api/push-brandname-ads",
        {
            "access_token": FPT_SHORT,
            "session_id": "abcde",
            "CampaignCode": "NjM1575fbf9aa0929",
            "PhoneList": "84949123456,84949123457",
        },
    ),
    (
        "fpt",
        "cancel_ads",
        "POST",
        f"{FPT}/api/cancel-ads",
        {"access_token": FPT_SHORT, "session_id": "abcde", "CampaignCode": "NjM1575fbf9aa0929"},
    ),
]

RESPONSES = [
    (
        "smartsmsbulk",
        "send_sms",
        "success",
        {"status": "OK", "detail": "SUCCESS", "refId": "241226153934-99232fdc-f4ba-48f2-93ee-86513188d2b8"},
    ),
    (
        "smartsmsbulk",
        "send_sms",
        "error",
        {"status": "ERR", "detail": "Invalid format parameter phoneNo", "refId": None},
    ),
    (
        "smartsmsbulk",
        "send_bulk",
        "success",
        {
            "status": "OK",
            "detail": "",
            "totalSubmit": 2,
            "totalValid": 2,
            "totalInvalid": 0,
            "data": [
                {
                    "status": "OK",
                    "detail": None,
                    "refId": "251112174727-1ffddf78-e41f-4da5-b58e-f28fd2fc85a1",
                    "smsReqBody": {
                        "phoneNo": "66818593778",
                        "userId": 6,
                        "senderId": 40,
                        "chksum": "14508a8adfafwasfad62f7768ef6",
                        "message": "สวัสดีครับ วันนี้อากาศสดใส",
                        "partnerId": 2,
                        "callbackUrl": "https://partner.com/callback",
                    },
                },
                {
                    "status": "OK",
                    "detail": None,
                    "refId": "251112174727-9694f6b0-62f9-4563-9fdd-dafc44e3f25b",
                    "smsReqBody": {
                        "phoneNo": "66826495417",
                        "userId": 6,
                        "senderId": 40,
                        "chksum": "5399d86d959fbagafsee6554ea4892a",
                        "message": "สวัสดีครับ วันนี้อากาศสดใส",
                        "partnerId": 2,
                        "callbackUrl": "https://partner.com/callback",
                    },
                },
            ],
        },
    ),
    (
        "smartsmsbulk",
        "send_bulk",
        "error",
        {
            "status": "ERR",
            "detail": "Not found data for send SMS.",
            "totalSubmit": 2,
            "totalValid": 0,
            "totalInvalid": 2,
            "data": [
                {
                    "status": "ERR",
                    "detail": "Invalid checksum",
                    "refId": "251112175231-7e648dbd-c431-4f4c-9f60-8e35fcef5678",
                    "smsReqBody": {
                        "phoneNo": "66818593778",
                        "userId": 6,
                        "senderId": 40,
                        "chksum": "226be1agafa45bc8909a45011b60f",
                        "message": "สวัสดีครับ วันนี้ฝนตก",
                        "partnerId": 2,
                        "callbackUrl": "https://partner.com/callback",
                    },
                },
                {
                    "status": "ERR",
                    "detail": "Invalid checksum",
                    "refId": "251112175231-96439415-b3b3-406b-800f-864dee00398f",
                    "smsReqBody": {
                        "phoneNo": "66826495417",
                        "userId": 6,
                        "senderId": 40,
                        "chksum": "5399d86d959fbf4afafaea4892a",
                        "message": "สวัสดีครับ วันนี้อากาศสดใส",
                        "partnerId": 2,
                        "callbackUrl": "https://partner.com/callback",
                    },
                },
            ],
        },
    ),
    (
        "smartsmsbulk",
        "query_dr",
        "success",
        {
            "refId": "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691",
            "drStatus": "OK",
            "drDetail": "Successfully sent to phone",
        },
    ),
    (
        "smartsmsbulk",
        "query_dr",
        "error",
        {
            "refId": "20241226173310654-5ab708ec-25bb-493a-adf4-fb0cfb9ac691",
            "drStatus": "ERR",
            "drDetail": "Invalid parameter userId",
        },
    ),
    (
        "smartsmsbulk",
        "otp_send",
        "success",
        {"status": "OK", "detail": "SUCCESS", "refCode": "G3kJHLAH", "prefix": "PRT"},
    ),
    (
        "smartsmsbulk",
        "otp_send",
        "error",
        {"status": "ERR", "detail": "Invalid checksum", "refCode": None, "prefix": None},
    ),
    ("smartsmsbulk", "otp_verify", "success", {"status": "OK", "detail": "OTP is verify"}),
    ("smartsmsbulk", "otp_verify", "error", {"status": "ERR", "detail": "OTP is already Verify"}),
    ("smartsmsbulk", "otp_verify", "error", {"status": "ERR", "detail": "OTP CODE IS NOT VALID"}),
    ("smartsmsbulk", "check_balance", "success", {"status": "OK", "detail": None, "creditBalance": 555}),
    ("smartsmsbulk", "check_balance", "error", {"status": "ERR", "detail": "Invalid checksum", "creditBalance": 0}),
    (
        "thaibulksms",
        "send_sms",
        "success",
        {
            "remaining_credit": 4502,
            "total_use_credit": 2,
            "credit_type": "corporate",
            "phone_number_list": [
                {"number": "66XXXXXXXX", "message_id": "Gi9YlmTd6wpgMdec8iMrRi", "used_credit": 1},
                {"number": "66XXXXXXXX", "message_id": "Gi9YlmTd6wpgMdec8iMrRB", "used_credit": 1},
            ],
            "bad_phone_number_list": [],
        },
    ),
    (
        "thaibulksms",
        "send_sms",
        "error",
        {"error": {"code": 112, "name": "ERROR_MESSAGE", "description": "The message is invalid."}},
    ),
    ("thaibulksms", "credit", "success", {"remaining_credit": {"standard": 6093, "corporate": 4498}}),
    (
        "thaibulksms",
        "otp_request",
        "success",
        {"status": "success", "token": "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56", "refno": "X7K2PQ"},
    ),
    ("thaibulksms", "otp_verify", "success", {"status": "success", "message": "Code is correct."}),
    ("thaibulksms", "otp_verify", "error", {"code": 400, "errors": [{"message": "Token is expire.", "detail": None}]}),
    ("voiceotp", "otp_send", "success", "1,,,1dc7b7eb-a9e7-4162-91cd-6027d95b290c"),
    ("voiceotp", "otp_send", "error", "-1"),
    ("voiceotp", "check_voice", "success", "27"),
    ("voiceotp", "check_balance", "success", {"errorcode": "1", "balance": 10}),
    ("voiceotp", "check_balance", "error", {"errorcode": "0", "balance": 0}),
    # FPT: the examples that agree with the seed's own tables (the others quote Int fields or
    # misspell a key: see FPT_CONTRADICTIONS)
    (
        "fpt",
        "token",
        "success",
        {"access_token": FPT_TOKEN, "expires_in": 3600, "token_type": "Bearer", "scope": "send_brandname_otp"},
    ),
    (
        "fpt",
        "cancel_ads",
        "success",
        {"success": ["qc.1464073279.8175", "qc.1465889623.3489"], "fail": ["qc.1465888561.3903"]},
    ),
]

# FPT's example answers where the seed's example contradicts its own table; the mock (and the
# schema) follow the table (mockserver/vendors/fpt/__init__.py): (operation, body, field at fault).
FPT_CONTRADICTIONS = [
    (
        "send_sms",
        {
            "MessageId": "34379086",
            "BrandName": "FTI",
            "Phone": "84949123456",
            "Message": "test tin nhắn",
            "PartnerId": "556",
            "Telco": "vina",
        },
        "MessageId",
    ),
    ("create_campaign", {" CampaignCode": "NjM1575fbf9aa0929"}, " CampaignCode"),
    ("send_ads", {"BatchId": "qc.1464073279.8175", "NumMessageSent": "2", "NumRemainQuota": "14998"}, "NumMessageSent"),
]

CALLBACKS = [
    (
        "smartsmsbulk",
        "send_sms",
        [
            {
                "refId": "20241219173202568-aead90dc-5343-5s5w-n34s-bde1d22d4456",
                "status": "OK",
                "detail": "Successfully sent to phone",
                "phoneNo": "66818593778",
                "message": "test",
                "sendTime": "2024-12-20 13:44:27.487000",
            },
            {
                "refId": "20241219173202568-aead90dc-1440-4e22-b2f4-a0e1d22d4d18",
                "status": "OK",
                "detail": "Successfully sent to phone",
                "phoneNo": "66812223456",
                "message": "test",
                "sendTime": "2024-12-20 13:44:27.588000",
            },
        ],
    ),
    (
        "ants",
        "send_sms",
        {
            "bulkId": "898319fa-34f0-49b7-a3b0-4235cc716a1f",
            "details": [
                {
                    "messageId": "25501288135972440649",
                    "to": "66123456789",
                    "from": "ANTS",
                    "text": "เชิญชวนร่วมกิจกรรม วิ่งการกุศล ANTS มาราธอน",
                    "credit": 1.00,
                    "sendDate": "2019-05-27T14:39:40.273",
                    "doneDate": "2019-05-27T14:40:09.44",
                    "status": {"code": "000", "name": "DELIVERED", "description": "Successfully sent to phone"},
                    "callbackData": "ANTS Data",
                },
                {
                    "messageId": "25501288135972440650",
                    "to": "66112233445",
                    "from": "Verify",
                    "text": "เชิญชวนร่วมกิจกรรม วิ่งการกุศล ANTS มาราธอน",
                    "credit": 1.00,
                    "sendDate": "2019-05-27T14:39:49.383",
                    "doneDate": "2019-05-27T14:40:09.66",
                    "status": {"code": "000", "name": "DELIVERED", "description": "Successfully sent to phone"},
                    "callbackData": "ANTS Data",
                },
            ],
        },
    ),
]
